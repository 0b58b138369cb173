using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization, LRN, MeanVarianceNormalization, LpNormalization and Dropout.</summary>
internal static class Normalization
{
    [ShapeRule("InstanceNormalization")]
    private static TensorType?[] InstanceNormalization(ShapeContext c)
    {
        var x = c.Input(0).Shape;
        if (x is not null && x.Rank < 3) throw c.Fail($"input {x} must be [N, C, spatial…] (rank ≥ 3)");
        PerChannel(c, 1, "scale"); PerChannel(c, 2, "B");
        return [c.Input(0)];
    }

    [ShapeRule("GroupNormalization")]
    private static TensorType?[] GroupNormalization(ShapeContext c)
    {
        var x = c.Input(0).Shape;
        long groups = c.Int("num_groups", 0);
        if (groups < 1) throw c.Fail($"attribute num_groups {groups} must be ≥ 1");
        if (x is not null && x.Rank < 2) throw c.Fail($"input {x} must be [N, C, …] (rank ≥ 2)");
        if (x is not null && x[1].IsKnown && x[1].Value % groups != 0)
            throw c.Fail($"input {x} has {x[1]} channels, expected a multiple of num_groups {groups}");
        return [c.Input(0)];
    }

    [ShapeRule("Dropout")]
    private static TensorType?[] Dropout(ShapeContext c)
    {
        var x = c.Input(0);
        if (c.HasInput(1) && c.Input(1).Shape is { Rank: > 0 } r && r.ElementCount != 1)
            throw c.Fail($"ratio must be a scalar, got shape {r}");
        // The mask is bool from opset 10; before that it had the data's type.
        return [x, new TensorType(c.Opset >= 10 ? ElementType.Bool : x.ElementType, x.Shape)];
    }

    [ShapeRule("LRN")]
    private static TensorType?[] Lrn(ShapeContext c)
    {
        var x = c.Input(0).Shape;
        if (x is not null && x.Rank < 3) throw c.Fail($"input {x} must be [N, C, spatial…] (rank ≥ 3)");
        if (c.Int("size", 0) < 1) throw c.Fail("attribute 'size' is required and must be ≥ 1");
        return [c.Input(0)];
    }

    [ShapeRule("MeanVarianceNormalization", "LpNormalization")]
    private static TensorType?[] SameAsInput(ShapeContext c) => [c.Input(0)];

    /// <summary>Checks that input <paramref name="i"/> is [C], C being axis 1 of input 0.</summary>
    private static void PerChannel(ShapeContext c, int i, string what)
    {
        if (!c.HasInput(i)) return;
        var x = c.Input(0).Shape;
        var p = c.Input(i).Shape;
        if (p is null) return;
        Dim ch = x is not null && x.Rank >= 2 ? x[1] : Dim.Unknown;
        if (p.Rank != 1 || !p[0].Compatible(ch))
            throw c.Fail($"{what} '{c.InputName(i)}' has shape {p}, expected [{ch}] (one entry per channel of {x})");
    }

    [ShapeRule("BatchNormalization")]
    private static TensorType?[] BatchNormalization(ShapeContext c)
    {
        var x = c.Input(0);
        if (x.Shape is { Rank: < 2 } s) throw c.Fail($"input {s} must be [N, C, …] (rank ≥ 2)");
        string[] names = ["scale", "B", "input_mean", "input_var"];
        for (int i = 1; i <= 4; i++) PerChannel(c, i, names[i - 1]);
        int outputs = c.Node.Outputs.Count;
        bool training = c.Int("training_mode", 0) != 0;
        if (c.Opset >= 14 && outputs > 1 && !training)
            throw c.Fail($"{outputs} outputs requested but training_mode is 0; expected a single output outside training (or training_mode=1 for the running statistics)");
        // The statistics outputs are [C]; their type is that of the mean/var inputs (which may differ from X from opset 15).
        Dim ch = x.Shape is { Rank: >= 2 } xs ? xs[1] : Dim.Unknown;
        var stat = new TensorType(c.HasInput(3) ? c.Input(3).ElementType : x.ElementType, new Shape(ch));
        var result = new TensorType?[Math.Max(outputs, 1)];
        result[0] = x;
        for (int k = 1; k < result.Length; k++) result[k] = stat;
        return result;
    }

    [ShapeRule("LayerNormalization")]
    private static TensorType?[] LayerNormalization(ShapeContext c)
    {
        var x = c.Input(0);
        var s = x.Shape;
        if (s is null) return [x, null, null];
        int axis = c.Axis(c.Int("axis", -1), s.Rank);
        var normalized = new Shape(s.Skip(axis));
        foreach (int i in new[] { 1, 2 })
            if (c.HasInput(i) && c.Input(i).Shape is { } p)
            {
                var merged = c.Broadcast(p, normalized);
                if (merged is not null && merged.Rank > normalized.Rank)
                    throw c.Fail($"{(i == 1 ? "scale" : "bias")} '{c.InputName(i)}' of shape {p} does not broadcast to the normalised axes {normalized}");
            }
        // Mean and InvStdDev keep the normalised axes as size 1; their type is stash_type (float unless double in).
        var stats = new Shape(s.Take(axis).Concat(Enumerable.Repeat(Dim.Of(1), s.Rank - axis)));
        var statType = (ElementType)c.Int("stash_type", 1);
        return [x, new TensorType(statType, stats), new TensorType(statType, stats)];
    }
}
