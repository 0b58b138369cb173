using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

public static partial class Op
{
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
    /// <summary>Integers start, start+delta, … below limit (scalars).</summary>
    public static Value Range(Value start, Value limit, Value delta) => B(start).Node1("Range", [start, limit, delta]);
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
