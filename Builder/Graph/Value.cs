using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// A symbolic tensor in a graph under construction: a value name with its inferred element type and shape.
/// Arithmetic operators emit ONNX nodes (<c>a + b</c> adds an <c>Add</c> node), so graph code reads like math.
/// </summary>
public sealed class Value
{
    /// <summary>The builder (graph) this value belongs to.</summary>
    public GraphBuilder Builder { get; }
    /// <summary>The ONNX value name.</summary>
    public string Name { get; }
    /// <summary>Inferred type.</summary>
    public TensorType Type { get; internal set; }

    internal Value(GraphBuilder builder, string name, TensorType type) { Builder = builder; Name = name; Type = type; }

    /// <summary>Shorthand for <c>Type.ElementType</c>.</summary>
    public ElementType ElementType => Type.ElementType;
    /// <summary>Shape, or null where the rank is unknown.</summary>
    public Shape? Shape => Type.Shape;
    /// <summary>Rank, or null where unknown.</summary>
    public int? Rank => Type.Shape?.Rank;

    /// <summary>Elementwise sum (broadcasting).</summary>
    public static Value operator +(Value a, Value b) => Op.Add(a, b);
    /// <summary>Elementwise difference (broadcasting).</summary>
    public static Value operator -(Value a, Value b) => Op.Sub(a, b);
    /// <summary>Elementwise product (broadcasting).</summary>
    public static Value operator *(Value a, Value b) => Op.Mul(a, b);
    /// <summary>Elementwise quotient (broadcasting).</summary>
    public static Value operator /(Value a, Value b) => Op.Div(a, b);
    /// <summary>Negation.</summary>
    public static Value operator -(Value a) => Op.Neg(a);
    /// <summary>Adds a scalar of the value's element type.</summary>
    public static Value operator +(Value a, double b) => Op.Add(a, a.Builder.Scalar(b, a.ElementType));
    /// <summary>Adds a scalar.</summary>
    public static Value operator +(double a, Value b) => Op.Add(b.Builder.Scalar(a, b.ElementType), b);
    /// <summary>Subtracts a scalar.</summary>
    public static Value operator -(Value a, double b) => Op.Sub(a, a.Builder.Scalar(b, a.ElementType));
    /// <summary>Subtracts from a scalar.</summary>
    public static Value operator -(double a, Value b) => Op.Sub(b.Builder.Scalar(a, b.ElementType), b);
    /// <summary>Multiplies by a scalar.</summary>
    public static Value operator *(Value a, double b) => Op.Mul(a, a.Builder.Scalar(b, a.ElementType));
    /// <summary>Multiplies by a scalar.</summary>
    public static Value operator *(double a, Value b) => Op.Mul(b.Builder.Scalar(a, b.ElementType), b);
    /// <summary>Divides by a scalar.</summary>
    public static Value operator /(Value a, double b) => Op.Div(a, a.Builder.Scalar(b, a.ElementType));
    /// <summary>Divides a scalar.</summary>
    public static Value operator /(double a, Value b) => Op.Div(b.Builder.Scalar(a, b.ElementType), b);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Type}";
}
