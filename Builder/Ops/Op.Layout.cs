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
}
