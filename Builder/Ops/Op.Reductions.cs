using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>Sum over <paramref name="axes"/> (all axes when null).</summary>
    public static Value ReduceSum(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceSum", x, axes, keepDims, 13);
    /// <summary>Mean over <paramref name="axes"/> (all axes when null).</summary>
    public static Value ReduceMean(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceMean", x, axes, keepDims, 18);
    /// <summary>Maximum over <paramref name="axes"/>.</summary>
    public static Value ReduceMax(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceMax", x, axes, keepDims, 18);
    /// <summary>Minimum over <paramref name="axes"/>.</summary>
    public static Value ReduceMin(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceMin", x, axes, keepDims, 18);
    /// <summary>Product over <paramref name="axes"/>.</summary>
    public static Value ReduceProd(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceProd", x, axes, keepDims, 18);
    /// <summary>Sum of squares over <paramref name="axes"/>.</summary>
    public static Value ReduceSumSquare(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceSumSquare", x, axes, keepDims, 18);
    /// <summary>Euclidean norm over <paramref name="axes"/>.</summary>
    public static Value ReduceL2(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceL2", x, axes, keepDims, 18);
    /// <summary>log Σ exp over <paramref name="axes"/>.</summary>
    public static Value ReduceLogSumExp(Value x, long[]? axes = null, bool keepDims = true) => Reduce("ReduceLogSumExp", x, axes, keepDims, 18);

    /// <summary>Index of the maximum along an axis (int64).</summary>
    public static Value ArgMax(Value x, int axis = 0, bool keepDims = true) =>
        B(x).Node1("ArgMax", [x], Attr.Int("axis", axis), Attr.Int("keepdims", keepDims ? 1 : 0));
    /// <summary>Index of the minimum along an axis (int64).</summary>
    public static Value ArgMin(Value x, int axis = 0, bool keepDims = true) =>
        B(x).Node1("ArgMin", [x], Attr.Int("axis", axis), Attr.Int("keepdims", keepDims ? 1 : 0));
    /// <summary>The k largest (or smallest) values and their indices along an axis.</summary>
    public static Value[] TopK(Value x, long k, int axis = -1, bool largest = true, bool sorted = true) =>
        B(x).Node("TopK", [x, B(x).Int64s(k)], 2, [Attr.Int("axis", axis), Attr.Int("largest", largest ? 1 : 0), Attr.Int("sorted", sorted ? 1 : 0)]);
    /// <summary>Cumulative sum along an axis.</summary>
    public static Value CumSum(Value x, int axis, bool exclusive = false, bool reverse = false)
    {
        var attrs = new List<AttributeProto>();
        if (exclusive) attrs.Add(Attr.Int("exclusive", 1));
        if (reverse) attrs.Add(Attr.Int("reverse", 1));
        return B(x).Node("CumSum", [x, B(x).Constant(TensorData.Scalar("", ElementType.Int64, axis))], 1, attrs)[0];
    }

    // Axes moved from an attribute to an input at opset 13 (ReduceSum) and 18 (the others).
    private static Value Reduce(string op, Value x, long[]? axes, bool keepDims, int axesAsInputFrom)
    {
        var g = B(x);
        var attrs = new List<AttributeProto> { Attr.Int("keepdims", keepDims ? 1 : 0) };
        if (g.Opset >= axesAsInputFrom)
            return g.Node(op, axes is null ? [x] : [x, g.Int64s(axes)], 1, attrs)[0];
        if (axes is not null) attrs.Add(Attr.Ints("axes", axes));
        return g.Node(op, [x], 1, attrs)[0];
    }
}
