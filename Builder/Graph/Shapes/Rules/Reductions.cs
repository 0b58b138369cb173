using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>The Reduce* family, ArgMax/ArgMin, TopK and CumSum.</summary>
internal static class Reductions
{
    [ShapeRule("CumSum")]
    private static TensorType?[] CumSum(ShapeContext c)
    {
        if (c.HasInput(1) && c.Input(1).Shape is { Rank: > 0 } a && a.ElementCount != 1)
            throw c.Fail($"axis must be a scalar, got shape {a}");
        if (c.ConstantInts(1) is [var axis] && c.Input(0).Shape is { } s) c.Axis(axis, s.Rank);
        return [c.Input(0)];
    }

    [ShapeRule("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp")]
    private static TensorType?[] Reduce(ShapeContext c)
    {
        var x = c.Input(0);
        var s = x.Shape;
        bool keep = c.Int("keepdims", 1) != 0;
        // Axes became an input at opset 13 for ReduceSum and at 18 for the others.
        bool axesAsInput = c.Opset >= (c.Node.OpType == "ReduceSum" ? 13 : 18);
        long[]? axes;
        if (axesAsInput && c.HasInput(1))
        {
            axes = c.ConstantInts(1);
            if (axes is null)
            {
                // Axes computed at run time: the rank survives with keepdims, the sizes do not.
                if (s is null) return [c.Like(0, null)];
                if (keep) return [c.Like(0, DimMath.Unknowns(s.Rank))];
                return [c.Like(0, c.Input(1).Shape is { Rank: 1 } a && a[0].IsKnown ? DimMath.Unknowns(s.Rank - (int)a[0].Value!.Value) : null)];
            }
        }
        else axes = axesAsInput ? null : c.Ints("axes");
        if (axes is null || axes.Length == 0)
        {
            if (axesAsInput && c.Int("noop_with_empty_axes", 0) != 0) return [x];
            if (s is null) return [c.Like(0, keep ? null : Shape.Scalar)];
            axes = Enumerable.Range(0, s.Rank).Select(i => (long)i).ToArray();
        }
        if (s is null) return [c.Like(0, null)];
        var reduced = DimMath.Axes(c, axes, s.Rank).ToHashSet();
        var dims = new List<Dim>();
        for (int i = 0; i < s.Rank; i++)
            if (!reduced.Contains(i)) dims.Add(s[i]);
            else if (keep) dims.Add(Dim.Of(1));
        return [c.Like(0, new Shape(dims))];
    }

    [ShapeRule("ArgMax", "ArgMin")]
    private static TensorType?[] ArgReduce(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        if (s is null) return [new TensorType(ElementType.Int64, null)];
        int axis = c.Axis(c.Int("axis", 0), s.Rank);
        bool keep = c.Int("keepdims", 1) != 0;
        var dims = s.Dims.ToList();
        if (keep) dims[axis] = Dim.Of(1); else dims.RemoveAt(axis);
        return [new TensorType(ElementType.Int64, new Shape(dims))];
    }

    [ShapeRule("TopK")]
    private static TensorType?[] TopK(ShapeContext c)
    {
        var x = c.Input(0);
        var s = x.Shape;
        // K is an attribute before opset 10, a 1-element int64 input from it.
        long? k = c.Opset < 10 ? c.Int("k", -1) : c.ConstantInts(1) is { } ks ? ks.Length == 1 ? ks[0] : throw c.Fail($"K must hold one value, got [{string.Join(", ", ks)}]") : null;
        if (c.Opset >= 10 && c.HasInput(1) && c.Input(1).Shape is { } kShape && !(kShape.Rank == 1 && kShape[0].Compatible(1)))
            throw c.Fail($"K must be a 1-D tensor of one element, got shape {kShape}");
        if (k < 0) throw c.Fail($"K = {k} must be ≥ 0");
        if (s is null) return [x, new TensorType(ElementType.Int64, null)];
        int axis = c.Axis(c.Int("axis", -1), s.Rank);
        if (k is not null && s[axis].IsKnown && k > s[axis].Value)
            throw c.Fail($"K = {k} is larger than axis {axis} of {s} (size {s[axis]}); expected K ≤ {s[axis]}");
        var dims = s.Dims;
        dims[axis] = k is null ? Dim.Unknown : Dim.Of(k.Value);
        var y = new Shape(dims);
        return [c.Like(0, y), new TensorType(ElementType.Int64, y)];
    }
}
