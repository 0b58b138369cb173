namespace OnnxKit;

/// <summary>max(x, 0) (PyTorch's <c>nn.ReLU</c>).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Relu(x);
}

/// <summary>x for x ≥ 0, slope·x otherwise (PyTorch's <c>nn.LeakyReLU</c>, default slope 0.01).</summary>
public sealed class LeakyReLU(float negativeSlope = 0.01f) : Module
{
    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.LeakyRelu(x, NegativeSlope);
}

/// <summary>x for x > 0, α(eˣ − 1) otherwise (PyTorch's <c>nn.ELU</c>).</summary>
public sealed class ELU(float alpha = 1f) : Module
{
    /// <summary>α.</summary>
    public float Alpha { get; } = alpha;
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Elu(x, Alpha);
}

/// <summary>Scaled ELU with the self-normalising constants (PyTorch's <c>nn.SELU</c>).</summary>
public sealed class SELU : Module
{
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Selu(x);
}

/// <summary>GELU (PyTorch's <c>nn.GELU</c>): exact erf form, or the tanh approximation with <c>approximate: "tanh"</c>.</summary>
public sealed class GELU : Module
{
    /// <summary>"none" or "tanh".</summary>
    public string Approximate { get; }

    /// <summary>Creates the layer.</summary>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh")) throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate));
        Approximate = approximate;
    }

    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Gelu(x, tanhApproximation: Approximate == "tanh");
}

/// <summary>x·σ(x) (PyTorch's <c>nn.SiLU</c>; Keras calls it swish, see <see cref="Swish"/>).</summary>
public class SiLU : Module
{
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Silu(x);
}

/// <summary>x·σ(x), the same function as <see cref="SiLU"/> under Keras' name.</summary>
public sealed class Swish : SiLU;

/// <summary>Logistic sigmoid (PyTorch's <c>nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Sigmoid(x);
}

/// <summary>Hyperbolic tangent (PyTorch's <c>nn.Tanh</c>).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Tanh(x);
}

/// <summary>Softmax along <c>dim</c> (PyTorch's <c>nn.Softmax</c>; the axis is required, as PyTorch recommends).</summary>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The normalised axis.</summary>
    public int Dim { get; } = dim;
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Softmax(x, Dim);
}

/// <summary>Log-softmax along <c>dim</c> (PyTorch's <c>nn.LogSoftmax</c>).</summary>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The normalised axis.</summary>
    public int Dim { get; } = dim;
    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.LogSoftmax(x, Dim);
}

/// <summary>
/// ln(1 + e^(βx))/β, switching to the identity where βx &gt; threshold (PyTorch's <c>nn.Softplus</c>, defaults β = 1,
/// threshold = 20). ONNX's <c>Softplus</c> has neither parameter, so the layer emits Softplus(βx)/β and a
/// <c>Where</c> for the threshold, reproducing PyTorch exactly.
/// </summary>
public sealed class Softplus(float beta = 1f, float threshold = 20f) : Module
{
    /// <summary>β.</summary>
    public float Beta { get; } = beta;
    /// <summary>Above this value of βx the output is x.</summary>
    public float Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var bx = Beta == 1f ? x : x * Beta;
        var soft = Op.Softplus(bx);
        if (Beta != 1f) soft = soft / Beta;
        return Op.Where(Op.Greater(bx, x.Builder.Scalar(Threshold, x.ElementType)), x, soft);
    }
}
