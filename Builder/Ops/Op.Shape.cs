using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>Reshapes to <paramref name="shape"/> (0 copies the input dimension, −1 is inferred).</summary>
    public static Value Reshape(Value x, params long[] shape) => B(x).Node1("Reshape", [x, B(x).Int64s(shape)]);
    /// <summary>Reshapes to a shape computed at run time.</summary>
    public static Value Reshape(Value x, Value shape) => B(x).Node1("Reshape", [x, shape]);
    /// <summary>Collapses to 2-D: dimensions before <paramref name="axis"/> and from it on.</summary>
    public static Value Flatten(Value x, int axis = 1) => B(x).Node1("Flatten", [x], Attr.Int("axis", axis));
    /// <summary>Permutes axes (reverses them when <paramref name="perm"/> is null).</summary>
    public static Value Transpose(Value x, params long[]? perm) =>
        perm is null || perm.Length == 0 ? Unary("Transpose", x) : B(x).Node1("Transpose", [x], Attr.Ints("perm", perm));
    /// <summary>Joins tensors along an axis.</summary>
    public static Value Concat(int axis, params Value[] xs) => B(xs[0]).Node1("Concat", xs, Attr.Int("axis", axis));
    /// <summary>Splits along an axis into parts of the given sizes.</summary>
    public static Value[] Split(Value x, int axis, params long[] sizes)
    {
        var g = B(x);
        if (g.Opset >= 13) return g.Node("Split", [x, g.Int64s(sizes)], sizes.Length, [Attr.Int("axis", axis)]);
        return g.Node("Split", [x], sizes.Length, [Attr.Int("axis", axis), Attr.Ints("split", sizes)]);
    }
    /// <summary>Splits along an axis into <paramref name="parts"/> equal parts.</summary>
    public static Value[] SplitEqual(Value x, int axis, int parts)
    {
        var g = B(x);
        var attrs = new List<AttributeProto> { Attr.Int("axis", axis) };
        if (g.Opset >= 18) attrs.Add(Attr.Int("num_outputs", parts));
        return g.Node("Split", [x], parts, attrs);
    }
    /// <summary>Slices [starts, ends) along <paramref name="axes"/> with <paramref name="steps"/>.</summary>
    public static Value Slice(Value x, long[] starts, long[] ends, long[]? axes = null, long[]? steps = null)
    {
        var g = B(x);
        return g.Node1("Slice", [x, g.Int64s(starts), g.Int64s(ends), axes is null ? null : g.Int64s(axes), steps is null ? null : g.Int64s(steps)]);
    }
    /// <summary>Gathers entries of <paramref name="x"/> along an axis at <paramref name="indices"/>.</summary>
    public static Value Gather(Value x, Value indices, int axis = 0) => B(x).Node1("Gather", [x, indices], Attr.Int("axis", axis));
    /// <summary>Gathers elementwise along an axis (indices have the rank of x).</summary>
    public static Value GatherElements(Value x, Value indices, int axis = 0) => B(x).Node1("GatherElements", [x, indices], Attr.Int("axis", axis));
    /// <summary>Scatters <paramref name="updates"/> into a copy of <paramref name="x"/> (reduction none/add/mul).</summary>
    public static Value ScatterElements(Value x, Value indices, Value updates, int axis = 0, string reduction = "none")
    {
        var attrs = new List<AttributeProto> { Attr.Int("axis", axis) };
        if (reduction != "none") attrs.Add(Attr.String("reduction", reduction));
        return B(x).Node("ScatterElements", [x, indices, updates], 1, attrs)[0];
    }
    /// <summary>Removes size-1 axes (all of them when <paramref name="axes"/> is null).</summary>
    public static Value Squeeze(Value x, params long[]? axes)
    {
        var g = B(x);
        if (axes is null || axes.Length == 0) return g.Node1("Squeeze", [x]);
        return g.Opset >= 13 ? g.Node1("Squeeze", [x, g.Int64s(axes)]) : g.Node1("Squeeze", [x], Attr.Ints("axes", axes));
    }
    /// <summary>Inserts size-1 axes.</summary>
    public static Value Unsqueeze(Value x, params long[] axes)
    {
        var g = B(x);
        return g.Opset >= 13 ? g.Node1("Unsqueeze", [x, g.Int64s(axes)]) : g.Node1("Unsqueeze", [x], Attr.Ints("axes", axes));
    }
    /// <summary>Broadcasts to <paramref name="shape"/>.</summary>
    public static Value Expand(Value x, Value shape) => B(x).Node1("Expand", [x, shape]);
    /// <summary>Broadcasts to a constant shape.</summary>
    public static Value Expand(Value x, params long[] shape) => B(x).Node1("Expand", [x, B(x).Int64s(shape)]);
    /// <summary>Repeats the tensor <paramref name="repeats"/>[i] times along axis i.</summary>
    public static Value Tile(Value x, params long[] repeats) => B(x).Node1("Tile", [x, B(x).Int64s(repeats)]);
    /// <summary>Pads: begin pads of every axis, then end pads (ONNX order); mode constant/reflect/edge.</summary>
    public static Value Pad(Value x, long[] pads, double value = 0, string mode = "constant")
    {
        var g = B(x);
        var attrs = mode == "constant" ? [] : new[] { Attr.String("mode", mode) };
        return g.Node("Pad", [x, g.Int64s(pads), value == 0 && mode == "constant" ? null : g.Scalar(value, x.ElementType)], 1, attrs)[0];
    }
    /// <summary>The shape of a tensor as a 1-D int64 tensor.</summary>
    public static Value Shape(Value x) => Unary("Shape", x);
    /// <summary>The shape of a tensor from axis <paramref name="start"/> to <paramref name="end"/> (opset ≥ 15).</summary>
    public static Value Shape(Value x, long start, long? end = null)
    {
        B(x).RequireOpset("", 15);
        var attrs = new List<AttributeProto> { Attr.Int("start", start) };
        if (end is not null) attrs.Add(Attr.Int("end", end.Value));
        return B(x).Node("Shape", [x], 1, attrs)[0];
    }
    /// <summary>Number of elements as an int64 scalar.</summary>
    public static Value Size(Value x) => Unary("Size", x);
    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static Value ConstantOfShape(Value shape, double value, ElementType type = ElementType.Float32) =>
        B(shape).Node1("ConstantOfShape", [shape], Attr.Tensor("value", OneElement(type, value)));
    /// <summary>One-hot encoding: indices → [..., depth] with off/on values.</summary>
    public static Value OneHot(Value indices, long depth, Value offOn, int axis = -1) =>
        B(indices).Node1("OneHot", [indices, B(indices).Int64s(depth), offOn], Attr.Int("axis", axis));
    /// <summary>Integers start, start+delta, … below limit (scalars).</summary>
    public static Value Range(Value start, Value limit, Value delta) => B(start).Node1("Range", [start, limit, delta]);
    /// <summary>Nearest or linear resizing by <paramref name="scales"/> per axis.</summary>
    public static Value Resize(Value x, float[] scales, string mode = "nearest")
    {
        var g = B(x);
        return g.Node1("Resize", [x, null, g.Constant(TensorData.FromFloats("", scales, scales.Length))], Attr.String("mode", mode));
    }
    /// <summary>Rearranges blocks of depth into space (pixel shuffle).</summary>
    public static Value DepthToSpace(Value x, long blockSize) => B(x).Node1("DepthToSpace", [x], Attr.Int("blocksize", blockSize));
    /// <summary>Upper (or lower) triangle of the last two axes.</summary>
    public static Value Trilu(Value x, bool upper = true, long k = 0) =>
        B(x).Node1("Trilu", [x, B(x).Constant(TensorData.Scalar("", ElementType.Int64, k))], Attr.Int("upper", upper ? 1 : 0));

    private static TensorProto OneElement(ElementType type, double value)
    {
        var t = TensorData.Scalar("", type, value);
        t.Dims.Add(1);
        return t;
    }
}
