using OnnxKit.IR;

namespace OnnxKit.Interop.Import.Upgrades;

/// <summary>Operators whose attributes became inputs (so they can be computed at run time).</summary>
internal static class AttributesToInputs
{
    [Upgrade(13, "Squeeze", "Unsqueeze")]
    public static void Axes(UpgradeContext c) { c.IntsAttributeToInput("axes", 1); c.Note("'axes' attribute moved to input 1"); }

    [Upgrade(13, "ReduceSum")]
    public static void ReduceSum(UpgradeContext c) { c.IntsAttributeToInput("axes", 1); c.Note("'axes' attribute moved to input 1"); }

    [Upgrade(13, "Split")]
    public static void Split(UpgradeContext c) { c.IntsAttributeToInput("split", 1); c.Note("'split' attribute moved to input 1"); }

    [Upgrade(10, "Slice")]
    public static void Slice(UpgradeContext c)
    {
        var n = c.Node;
        var starts = n.GetInts("starts") ?? throw c.Fail("'starts' attribute is missing");
        var ends = n.GetInts("ends") ?? throw c.Fail("'ends' attribute is missing");
        var axes = n.GetInts("axes");
        n.Remove("starts"); n.Remove("ends"); n.Remove("axes");
        c.SetInput(1, c.Int64s("starts", starts));
        c.SetInput(2, c.Int64s("ends", ends));
        if (axes is not null) c.SetInput(3, c.Int64s("axes", axes));
        c.Note("'starts', 'ends', 'axes' attributes moved to inputs");
    }

    [Upgrade(5, "Reshape")]
    public static void Reshape(UpgradeContext c)
    {
        var shape = c.Node.GetInts("shape") ?? throw c.Fail("'shape' attribute is missing");
        c.Node.Remove("shape"); c.Node.Remove("consumed_inputs");
        c.SetInput(1, c.Int64s("shape", shape));
        c.Note("'shape' attribute moved to input 1");
    }

    [Upgrade(10, "TopK")]
    public static void TopK(UpgradeContext c)
    {
        long k = c.Node.GetInt("k", -1);
        if (k < 0) throw c.Fail("'k' attribute is missing");
        c.Node.Remove("k");
        c.SetInput(1, c.Int64s("k", [k]));
        c.Note("'k' attribute moved to input 1");
    }

    [Upgrade(11, "Clip")]
    public static void Clip(UpgradeContext c)
    {
        var n = c.Node;
        var type = c.FloatTypeOfInput(0);
        float? min = n.Attribute("min") is { HasF: true } a ? a.F : null;
        float? max = n.Attribute("max") is { HasF: true } b ? b.F : null;
        n.Remove("min"); n.Remove("max"); n.Remove("consumed_inputs");
        c.SetInput(1, min is null ? "" : c.Scalar("min", type, min.Value));
        c.SetInput(2, max is null ? "" : c.Scalar("max", type, max.Value));
        c.Note("'min'/'max' attributes moved to inputs");
    }

    [Upgrade(11, "Pad")]
    public static void Pad(UpgradeContext c)
    {
        var n = c.Node;
        // Opset 1 called the attribute 'paddings'.
        var pads = n.GetInts("pads") ?? n.GetInts("paddings") ?? throw c.Fail("'pads' attribute is missing");
        float value = n.GetFloat("value", 0f);
        string mode = n.GetString("mode", "constant")!;
        n.Remove("pads"); n.Remove("paddings"); n.Remove("value");
        c.SetInput(1, c.Int64s("pads", pads));
        if (mode == "constant" && value != 0f) c.SetInput(2, c.Scalar("value", c.FloatTypeOfInput(0), value));
        c.Note("'pads'/'value' attributes moved to inputs");
    }

    [Upgrade(11, "Scatter")]
    public static void Scatter(UpgradeContext c)
    {
        // Deprecated in opset 11 in favour of ScatterElements, which has the same semantics.
        c.Node.OpType = "ScatterElements";
        c.Note("renamed ScatterElements (Scatter is deprecated since opset 11)");
    }

    [Upgrade(4, "Concat")]
    public static void Concat(UpgradeContext c)
    {
        // Opset 1 defaulted axis to 1; from opset 4 it is required.
        if (c.Node.Attribute("axis") is null) { c.Node.Set(Attr.Int("axis", 1)); c.Note("default 'axis' 1 written out"); }
    }
}
