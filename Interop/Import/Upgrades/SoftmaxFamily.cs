using OnnxKit.IR;

namespace OnnxKit.Interop.Import.Upgrades;

/// <summary>
/// Before opset 13, Softmax, LogSoftmax and Hardmax flattened their input to 2-D at <c>axis</c> and normalised each
/// row over all the trailing dimensions together; since 13 they normalise along the one <c>axis</c>.
/// </summary>
internal static class SoftmaxFamily
{
    [Upgrade(13, "Softmax", "LogSoftmax", "Hardmax")]
    public static void Upgrade(UpgradeContext c)
    {
        var n = c.Node;
        long axis = n.GetInt("axis", 1);
        int? rank = c.RankOf(n.Inputs[0]);
        if (rank is int r && (axis == r - 1 || axis == -1))
        {
            n.Set(Attr.Int("axis", -1));
            c.Note("old 2-D semantics along the last axis equal the per-axis semantics; axis set to -1");
            return;
        }
        // The general rewrite: Flatten at axis, normalise the rows, restore the shape.
        string x = n.Inputs[0];
        var flat = c.Emit("Flatten", [x], "flat", Attr.Int("axis", axis));
        var shape = c.Emit("Shape", [x], "shape");
        string y = n.Outputs[0];
        string rows = c.NewName("rows");
        n.Inputs[0] = flat.Outputs[0];
        n.Outputs[0] = rows;
        n.Set(Attr.Int("axis", -1));
        c.EmitAfter(new Node("Reshape", [rows, shape.Outputs[0]], [y], name: c.NewName("restore")));
        c.Note($"axis {axis} of a rank-{rank?.ToString() ?? "unknown"} input: rewritten as Flatten → {n.OpType}(axis=-1) → Reshape");
    }
}
