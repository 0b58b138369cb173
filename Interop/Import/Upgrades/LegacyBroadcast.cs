using OnnxKit.IR;

namespace OnnxKit.Interop.Import.Upgrades;

/// <summary>
/// Before opset 7 the binary operators broadcast only when asked (<c>broadcast=1</c>), aligning the second input
/// with the first starting at <c>axis</c>; from opset 7 they broadcast numpy-style, aligning trailing dimensions.
/// </summary>
internal static class LegacyBroadcast
{
    [Upgrade(7, "Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less")]
    public static void Binary(UpgradeContext c)
    {
        var n = c.Node;
        bool broadcast = n.GetInt("broadcast", 0) != 0;
        long? axis = n.Attribute("axis") is { HasI: true } a ? a.I : null;
        n.Remove("broadcast"); n.Remove("axis"); n.Remove("consumed_inputs");
        if (!broadcast || axis is null) return;
        // B's dimensions sit at [axis, axis + rank(B)) of A; numpy-style they sit at the end, so B needs trailing 1s.
        int ra = c.RankOf(n.Inputs[0]) ?? throw c.Fail($"legacy broadcast along axis {axis} needs the rank of input '{n.Inputs[0]}', which is unknown");
        int rb = c.RankOf(n.Inputs[1]) ?? throw c.Fail($"legacy broadcast along axis {axis} needs the rank of input '{n.Inputs[1]}', which is unknown");
        long start = axis.Value < 0 ? axis.Value + ra : axis.Value;
        long trailing = ra - start - rb;
        if (start < 0 || trailing < 0) throw c.Fail($"axis {axis} does not fit input ranks {ra} and {rb}");
        if (trailing == 0) { c.Note($"legacy broadcast (axis {axis}) is numpy broadcasting here; attributes dropped"); return; }
        var axes = Enumerable.Range(rb, (int)trailing).Select(x => (long)x);
        var unsq = c.Emit("Unsqueeze", [n.Inputs[1], c.Int64s("axes", axes)], "aligned");
        n.Inputs[1] = unsq.Outputs[0];
        c.Note($"legacy broadcast along axis {axis}: input '{unsq.Inputs[0]}' unsqueezed with {trailing} trailing axes");
    }

    [Upgrade(7, "Gemm")]
    public static void Gemm(UpgradeContext c)
    {
        // Opset 7 made C unidirectionally broadcastable, which covers every shape the legacy flag allowed.
        if (c.Node.Remove("broadcast")) c.Note("'broadcast' attribute dropped (C broadcasts numpy-style since opset 7)");
    }

    [Upgrade(7, "PRelu")]
    public static void PRelu(UpgradeContext c)
    {
        // Before opset 7 a 1-D slope of C values applied per channel (axis 1); numpy-style it would align with the last axis.
        var n = c.Node;
        n.Remove("consumed_inputs");
        if (c.TypeOf(n.Inputs[1])?.Shape is not { Rank: 1 } s || s[0] is { IsKnown: true, Value: 1 }) return;
        int rx = c.RankOf(n.Inputs[0]) ?? throw c.Fail($"a per-channel slope needs the rank of input '{n.Inputs[0]}', which is unknown");
        if (rx <= 2) return;
        var unsq = c.Emit("Unsqueeze", [n.Inputs[1], c.Int64s("axes", Enumerable.Range(1, rx - 2).Select(x => (long)x))], "slope");
        n.Inputs[1] = unsq.Outputs[0];
        c.Note($"per-channel slope '{unsq.Inputs[0]}' unsqueezed to rank {rx - 1} (numpy broadcasting since opset 7)");
    }
}
