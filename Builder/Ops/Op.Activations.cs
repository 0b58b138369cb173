using OnnxKit.IR;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>max(x, 0).</summary>
    public static Value Relu(Value x) => Unary("Relu", x);
    /// <summary>Logistic sigmoid.</summary>
    public static Value Sigmoid(Value x) => Unary("Sigmoid", x);
    /// <summary>Hyperbolic tangent.</summary>
    public static Value Tanh(Value x) => Unary("Tanh", x);
    /// <summary>x for x ≥ 0, αx otherwise.</summary>
    public static Value LeakyRelu(Value x, float alpha = 0.01f) => B(x).Node1("LeakyRelu", [x], Attr.Float("alpha", alpha));
    /// <summary>x for x ≥ 0, α(eˣ − 1) otherwise.</summary>
    public static Value Elu(Value x, float alpha = 1f) => B(x).Node1("Elu", [x], Attr.Float("alpha", alpha));
    /// <summary>Scaled ELU with the self-normalising constants.</summary>
    public static Value Selu(Value x) => Unary("Selu", x);
    /// <summary>ln(1 + eˣ).</summary>
    public static Value Softplus(Value x) => Unary("Softplus", x);
    /// <summary>x / (1 + |x|).</summary>
    public static Value Softsign(Value x) => Unary("Softsign", x);
    /// <summary>Leaky ReLU with a learned slope (broadcast from <paramref name="slope"/>).</summary>
    public static Value PRelu(Value x, Value slope) => Binary("PRelu", x, slope);
    /// <summary>max(0, min(1, αx + β)).</summary>
    public static Value HardSigmoid(Value x, float alpha = 0.2f, float beta = 0.5f) =>
        B(x).Node1("HardSigmoid", [x], Attr.Float("alpha", alpha), Attr.Float("beta", beta));

    /// <summary>x·σ(x) (SiLU/Swish), written as Mul(x, Sigmoid(x)) so every opset and runtime runs it.</summary>
    public static Value Silu(Value x) => x * Sigmoid(x);

    /// <summary>
    /// GELU. Exact form 0.5·x·(1 + erf(x/√2)); with <paramref name="tanhApproximation"/> the tanh form. Emitted as
    /// the <c>Gelu</c> operator from opset 20, decomposed into Erf/Tanh arithmetic below it (as PyTorch exports it).
    /// </summary>
    public static Value Gelu(Value x, bool tanhApproximation = false)
    {
        var g = B(x);
        if (g.Opset >= 20) return g.Node1("Gelu", [x], Attr.String("approximate", tanhApproximation ? "tanh" : "none"));
        if (!tanhApproximation) return x * (Erf(x * (1 / Math.Sqrt(2))) + 1.0) * 0.5;
        var inner = (x + x * x * x * 0.044715) * Math.Sqrt(2 / Math.PI);
        return x * (Tanh(inner) + 1.0) * 0.5;
    }

    /// <summary>Softmax along <paramref name="axis"/>.</summary>
    public static Value Softmax(Value x, int axis = -1) => B(x).Node1("Softmax", [x], Attr.Int("axis", axis));
    /// <summary>Log-softmax along <paramref name="axis"/>.</summary>
    public static Value LogSoftmax(Value x, int axis = -1) => B(x).Node1("LogSoftmax", [x], Attr.Int("axis", axis));
}
