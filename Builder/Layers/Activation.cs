namespace OnnxKit;

/// <summary>Activation applied after a layer (Keras' <c>activation=</c> argument).</summary>
public enum Activation
{
    /// <summary>No activation (linear).</summary>
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>Logistic sigmoid.</summary>
    Sigmoid,
    /// <summary>tanh.</summary>
    Tanh,
    /// <summary>Softmax over the last axis.</summary>
    Softmax,
    /// <summary>Log-softmax over the last axis.</summary>
    LogSoftmax,
    /// <summary>GELU (exact, erf form).</summary>
    Gelu,
    /// <summary>x·σ(x).</summary>
    Silu,
    /// <summary>Leaky ReLU with slope 0.01.</summary>
    LeakyRelu,
    /// <summary>ELU with α = 1.</summary>
    Elu,
    /// <summary>SELU.</summary>
    Selu,
    /// <summary>ln(1 + eˣ).</summary>
    Softplus,
}

/// <summary>Applies an <see cref="Activation"/>.</summary>
public static class Activations
{
    /// <summary>The activation applied to <paramref name="x"/>.</summary>
    public static Value Apply(this Activation a, Value x) => a switch
    {
        Activation.None => x,
        Activation.Relu => Op.Relu(x),
        Activation.Sigmoid => Op.Sigmoid(x),
        Activation.Tanh => Op.Tanh(x),
        Activation.Softmax => Op.Softmax(x, -1),
        Activation.LogSoftmax => Op.LogSoftmax(x, -1),
        Activation.Gelu => Op.Gelu(x),
        Activation.Silu => Op.Silu(x),
        Activation.LeakyRelu => Op.LeakyRelu(x),
        Activation.Elu => Op.Elu(x),
        Activation.Selu => Op.Selu(x),
        Activation.Softplus => Op.Softplus(x),
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "unknown activation"),
    };
}
