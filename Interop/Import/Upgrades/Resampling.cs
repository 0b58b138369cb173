using OnnxKit.IR;

namespace OnnxKit.Interop.Import.Upgrades;

/// <summary>Upsample (removed in opset 10) and Resize-10 become Resize with the coordinate mapping they meant.</summary>
internal static class Resampling
{
    [Upgrade(11, "Upsample")]
    public static void Upsample(UpgradeContext c)
    {
        var n = c.Node;
        string x = n.Inputs[0];
        string mode = n.GetString("mode", "nearest")!;
        string scales;
        if (n.GetFloats("scales") is { } s)
        {
            // Opset 7 kept the scales as an attribute; 9 made them an input.
            var t = TensorData.FromFloats("", s, s.Length);
            scales = c.Emit("Constant", [], "scales", Attr.Tensor("value", t)).Outputs[0];
        }
        else if (n.Inputs.Count > 1 && n.Inputs[1].Length > 0) scales = n.Inputs[1];
        else throw c.Fail("it has no scales");
        n.Attributes.Clear();
        n.OpType = "Resize";
        n.Inputs.Clear();
        n.Inputs.AddRange([x, "", scales]);
        SetModes(c, mode);
        c.Note($"Upsample({mode}) rewritten as Resize with asymmetric coordinates");
    }

    [Upgrade(11, "Resize")]
    public static void Resize10(UpgradeContext c)
    {
        var n = c.Node;
        string mode = n.GetString("mode", "nearest")!;
        string x = n.Inputs[0], scales = n.Inputs[1];
        n.Inputs.Clear();
        n.Inputs.AddRange([x, "", scales]);
        n.Remove("mode");
        SetModes(c, mode);
        c.Note("Resize-10 given roi input and its asymmetric coordinate mode");
    }

    // Upsample and Resize-10 map output pixel x to input x / scale, and nearest takes the floor.
    private static void SetModes(UpgradeContext c, string mode)
    {
        var n = c.Node;
        if (mode == "bilinear") mode = "linear";
        if (mode is not ("nearest" or "linear")) throw c.Fail($"mode '{mode}' is not nearest or linear");
        n.Set(Attr.String("mode", mode));
        n.Set(Attr.String("coordinate_transformation_mode", "asymmetric"));
        if (mode == "nearest") n.Set(Attr.String("nearest_mode", "floor"));
    }
}
