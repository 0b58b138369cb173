namespace OnnxKit;

/// <summary>
/// The operator surface: one typed method per ONNX operator (or a common form of it). Each adds a node to the
/// graph its inputs belong to and returns the typed output; inference checks shapes as the node is added.
/// For operators not listed here use <see cref="GraphBuilder.Node"/>.
/// </summary>
public static partial class Op
{
    private static GraphBuilder B(Value v) => v.Builder;
    private static Value Unary(string op, Value x) => B(x).Node1(op, [x]);
    private static Value Binary(string op, Value a, Value b) => B(a).Node1(op, [a, b]);

    /// <summary>a + b (broadcasting).</summary>
    public static Value Add(Value a, Value b) => Binary("Add", a, b);
    /// <summary>a − b (broadcasting).</summary>
    public static Value Sub(Value a, Value b) => Binary("Sub", a, b);
    /// <summary>a · b elementwise (broadcasting).</summary>
    public static Value Mul(Value a, Value b) => Binary("Mul", a, b);
    /// <summary>a / b elementwise (broadcasting).</summary>
    public static Value Div(Value a, Value b) => Binary("Div", a, b);
    /// <summary>a ^ b elementwise.</summary>
    public static Value Pow(Value a, Value b) => Binary("Pow", a, b);
    /// <summary>a mod b (<paramref name="fmod"/> = C-style sign).</summary>
    public static Value Mod(Value a, Value b, bool fmod = false) => B(a).Node1("Mod", [a, b], IR.Attr.Int("fmod", fmod ? 1 : 0));
    /// <summary>−x.</summary>
    public static Value Neg(Value x) => Unary("Neg", x);
    /// <summary>|x|.</summary>
    public static Value Abs(Value x) => Unary("Abs", x);
    /// <summary>√x.</summary>
    public static Value Sqrt(Value x) => Unary("Sqrt", x);
    /// <summary>eˣ.</summary>
    public static Value Exp(Value x) => Unary("Exp", x);
    /// <summary>ln x.</summary>
    public static Value Log(Value x) => Unary("Log", x);
    /// <summary>1/x.</summary>
    public static Value Reciprocal(Value x) => Unary("Reciprocal", x);
    /// <summary>Error function.</summary>
    public static Value Erf(Value x) => Unary("Erf", x);
    /// <summary>Sign (−1, 0, 1).</summary>
    public static Value Sign(Value x) => Unary("Sign", x);
    /// <summary>Floor.</summary>
    public static Value Floor(Value x) => Unary("Floor", x);
    /// <summary>Ceiling.</summary>
    public static Value Ceil(Value x) => Unary("Ceil", x);
    /// <summary>Round half to even.</summary>
    public static Value Round(Value x) => Unary("Round", x);
    /// <summary>Sine.</summary>
    public static Value Sin(Value x) => Unary("Sin", x);
    /// <summary>Cosine.</summary>
    public static Value Cos(Value x) => Unary("Cos", x);
    /// <summary>Identity (a copy, or a rename point).</summary>
    public static Value Identity(Value x) => Unary("Identity", x);
    /// <summary>Elementwise maximum of several tensors (broadcasting).</summary>
    public static Value Max(params Value[] xs) => B(xs[0]).Node1("Max", xs);
    /// <summary>Elementwise minimum of several tensors (broadcasting).</summary>
    public static Value Min(params Value[] xs) => B(xs[0]).Node1("Min", xs);
    /// <summary>Elementwise sum of several tensors (broadcasting).</summary>
    public static Value Sum(params Value[] xs) => B(xs[0]).Node1("Sum", xs);
    /// <summary>Elementwise mean of several tensors (broadcasting).</summary>
    public static Value Mean(params Value[] xs) => B(xs[0]).Node1("Mean", xs);
    /// <summary>Clamps to [min, max]; either bound may be omitted.</summary>
    public static Value Clip(Value x, double? min = null, double? max = null) =>
        B(x).Node1("Clip", [x, min is null ? null : B(x).Scalar(min.Value, x.ElementType), max is null ? null : B(x).Scalar(max.Value, x.ElementType)]);
    /// <summary>Clamps to [min, max] given as scalar tensors (either may be null).</summary>
    public static Value Clip(Value x, Value? min, Value? max) => B(x).Node1("Clip", [x, min, max]);

    /// <summary>a == b (bool).</summary>
    public static Value Equal(Value a, Value b) => Binary("Equal", a, b);
    /// <summary>a &gt; b (bool).</summary>
    public static Value Greater(Value a, Value b) => Binary("Greater", a, b);
    /// <summary>a ≥ b (bool).</summary>
    public static Value GreaterOrEqual(Value a, Value b) => Binary("GreaterOrEqual", a, b);
    /// <summary>a &lt; b (bool).</summary>
    public static Value Less(Value a, Value b) => Binary("Less", a, b);
    /// <summary>a ≤ b (bool).</summary>
    public static Value LessOrEqual(Value a, Value b) => Binary("LessOrEqual", a, b);
    /// <summary>Logical and.</summary>
    public static Value And(Value a, Value b) => Binary("And", a, b);
    /// <summary>Logical or.</summary>
    public static Value Or(Value a, Value b) => Binary("Or", a, b);
    /// <summary>Logical not.</summary>
    public static Value Not(Value x) => Unary("Not", x);
    /// <summary>True where x is NaN.</summary>
    public static Value IsNaN(Value x) => Unary("IsNaN", x);
    /// <summary>True where x is ±∞.</summary>
    public static Value IsInf(Value x) => Unary("IsInf", x);
    /// <summary>Selects a where cond is true, else b (broadcasting).</summary>
    public static Value Where(Value cond, Value a, Value b) => B(cond).Node1("Where", [cond, a, b]);
    /// <summary>Converts the element type.</summary>
    public static Value Cast(Value x, IR.ElementType to) => B(x).Node1("Cast", [x], IR.Attr.Int("to", (int)to));
    /// <summary>Converts to the element type of <paramref name="like"/>.</summary>
    public static Value CastLike(Value x, Value like) => Binary("CastLike", x, like);
}
