using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>Operators that reshape, move, join, cut or grow tensors: reshapes, transposes, concatenation, splitting, slicing, expanding, tiling, padding.</summary>
internal static class Layout
{
    // Pure reshapes: the gradient takes the input's shape back.
    [Gradient("Reshape", "Flatten", "Squeeze", "Unsqueeze")]
    static void Reshape(GradScope g) => g.InputGrad(0, g.ReshapeLike(g.Dy, g.Input(0)));

    [Gradient("Expand")] static void Expand(GradScope g) => g.InputGrad(0, g.Unbroadcast(g.Dy, g.Input(0)));

    [Gradient("Transpose")]
    static void Transpose(GradScope g)
    {
        if (g.AttrInts("perm") is not { } perm) { g.InputGrad(0, Op.Transpose(g.Dy)); return; } // reversal undoes itself
        var inverse = new long[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        g.InputGrad(0, Op.Transpose(g.Dy, inverse));
    }

    // Splits the gradient into the inputs' extents along the axis (static sizes where known).
    [Gradient("Concat")]
    static void Concat(GradScope g)
    {
        long axis = g.AttrInt("axis", 0);
        var inputs = Enumerable.Range(0, g.InputCount).Select(g.Input).ToList();
        int? rank = inputs.Select(v => v.Rank).FirstOrDefault(r => r is not null) ?? g.Dy.Rank;
        if (axis < 0 && rank is { } r) axis += r;
        var sizes = inputs.Select(v => v.Shape is { } s && axis >= 0 && axis < s.Rank && s[(int)axis].IsKnown ? s[(int)axis].Value : null).ToList();
        Value[] parts;
        if (sizes.All(s => s is not null)) parts = Op.Split(g.Dy, (int)axis, sizes.Select(s => s!.Value).ToArray());
        else
        {
            var split = Op.Concat(0, inputs.Select(v => g.Dims(v, axis, axis == -1 ? long.MaxValue : axis + 1)).ToArray());
            parts = g.Graph.Node("Split", [g.Dy, split], inputs.Count, [Attr.Int("axis", axis)]);
        }
        for (int i = 0; i < inputs.Count; i++) g.InputGrad(i, parts[i]);
    }

    // Concatenates the outputs' gradients (zeros for outputs that reach no loss).
    [Gradient("Split")]
    static void Split(GradScope g)
    {
        var parts = Enumerable.Range(0, g.Node.Outputs.Count).Select(i => g.OutputGrad(i) ?? g.ZerosLike(g.Output(i))).ToArray();
        g.InputGrad(0, Op.Concat((int)g.AttrInt("axis", 0), parts));
    }

    // Static shapes and unit steps: pad the gradient back to the input's extent. Otherwise: slice the flat positions
    // of the input the same way and scatter the gradient there.
    [Gradient("Slice")]
    static void Slice(GradScope g)
    {
        var x = g.Input(0);
        if (StaticPads(g, x) is { } pads) { g.InputGrad(0, Op.Pad(g.Dy, pads)); return; }
        var count = Op.Size(x);
        var positions = Op.Reshape(Op.Range(g.Graph.Scalar(0, ElementType.Int64), count, g.Graph.Scalar(1, ElementType.Int64)), Op.Shape(x));
        var selected = g.Opset >= 10
            ? g.Graph.Node1("Slice", [positions, .. Enumerable.Range(1, g.InputCount - 1).Select(i => g.HasInput(i) ? g.Input(i) : null)])
            : g.Graph.Node("Slice", [positions], 1, g.Node.Attributes)[0];
        var zeros = Op.ConstantOfShape(Op.Reshape(count, 1), 0, g.ElementType);
        var flat = Op.ScatterElements(zeros, Op.Reshape(selected, -1), Op.Reshape(g.Dy, -1), 0);
        g.InputGrad(0, Op.Reshape(flat, Op.Shape(x)));
    }

    private static long[]? StaticPads(GradScope g, Value x)
    {
        if (x.Shape is not { IsFullyKnown: true } xs) return null;
        long[]? starts, ends, axes, steps;
        if (g.Opset >= 10)
        {
            starts = g.ConstantInts(1); ends = g.ConstantInts(2);
            axes = g.HasInput(3) ? g.ConstantInts(3) : Enumerable.Range(0, starts?.Length ?? 0).Select(i => (long)i).ToArray();
            steps = g.HasInput(4) ? g.ConstantInts(4) : null;
            if (g.HasInput(4) && steps is null) return null;
        }
        else { starts = g.AttrInts("starts"); ends = g.AttrInts("ends"); axes = g.AttrInts("axes") ?? Enumerable.Range(0, starts?.Length ?? 0).Select(i => (long)i).ToArray(); steps = null; }
        if (starts is null || ends is null || axes is null || steps is not null && steps.Any(s => s != 1)) return null;
        int rank = xs.Rank;
        var pads = new long[2 * rank];
        for (int k = 0; k < axes.Length; k++)
        {
            int a = (int)(axes[k] < 0 ? axes[k] + rank : axes[k]);
            long dim = xs[a].Value!.Value;
            long Clamp(long v) => Math.Clamp(v < 0 ? v + dim : v, 0, dim);
            long s = Clamp(starts[k]), e = Math.Max(s, Clamp(ends[k]));
            pads[a] = s; pads[a + rank] = dim - e;
        }
        return pads;
    }

    // Tile: view the gradient as [r0, d0, r1, d1, …] and sum over the repeat axes (a run-time repeats input is sliced in-graph).
    [Gradient("Tile")]
    static void Tile(GradScope g)
    {
        var x = g.Input(0);
        var repeats = g.ConstantInts(1);
        int rank = repeats?.Length ?? g.RankOf(x);
        Value Repeat(int i) => repeats is not null ? g.Ints(repeats[i]) : Op.Slice(g.Input(1), [i], [i + 1]);
        Value shape = repeats is not null && x.Shape is { IsFullyKnown: true } xs
            ? g.Ints(Enumerable.Range(0, rank).SelectMany(i => new[] { repeats[i], xs[i].Value!.Value }).ToArray())
            : Op.Concat(0, Enumerable.Range(0, rank).SelectMany(i => new[] { Repeat(i), g.Dims(x, i, i + 1) }).ToArray());
        var axes = Enumerable.Range(0, rank).Select(i => 2L * i).ToArray();
        g.InputGrad(0, Op.ReduceSum(Op.Reshape(g.Dy, shape), axes, keepDims: false));
    }

    // Constant padding: the gradient is the gradient with the padding removed, i.e. padded by the negated pads.
    [Gradient("Pad")]
    static void Pad(GradScope g)
    {
        string mode = g.AttrString("mode", "constant")!;
        if (mode != "constant") throw g.Fail($"Pad mode '{mode}' has no gradient rule (only 'constant')");
        if (g.HasInput(3)) throw g.Fail("Pad with an axes input has no gradient rule");
        Value negated = g.Opset >= 11
            ? g.ConstantInts(1) is { } p ? g.Ints(p.Select(v => -v).ToArray()) : Op.Neg(g.Input(1))
            : g.Ints(g.AttrInts("pads")!.Select(v => -v).ToArray());
        var dx = g.Graph.Node1("Pad", [g.Dy, negated]);
        g.InputGrad(0, dx);
        // Every padded element is the constant value: it takes the sum of the gradient outside x's region.
        if (g.Opset >= 11 && g.HasInput(2) && g.NeedsGrad(2))
            g.InputGrad(2, g.ReshapeLike(Op.ReduceSum(g.Dy, keepDims: false) - Op.ReduceSum(dx, keepDims: false), g.Input(2)));
    }
}
