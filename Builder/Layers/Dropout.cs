namespace OnnxKit;

/// <summary>
/// Dropout (PyTorch's <c>nn.Dropout</c>): the identity in inference graphs; in a training graph
/// (<see cref="GraphBuilder.Training"/>) each element is zeroed with probability <see cref="P"/> and the survivors
/// are scaled by 1/(1 − p).
/// </summary>
public sealed class Dropout : Module
{
    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }
    /// <summary>
    /// Seed of the ONNX node's generator. Default: derived from the module tree's <see cref="Module.Seed"/> and this
    /// layer's name, so a training run is reproducible (the masks still differ from step to step).
    /// </summary>
    public long? NodeSeed { get; init; }

    /// <summary>Creates the layer.</summary>
    public Dropout(double p = 0.5)
    {
        if (p is < 0 or >= 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must lie in [0, 1)");
        P = p;
    }

    /// <inheritdoc/>
    public override Value Forward(Value x) => x.Builder.Training && P > 0 ? Op.Dropout(x, P, training: true, seed: NodeSeed ?? DerivedSeed())[0].As(x) : x;

    // FNV-1a over the root seed and the layer's name: stable across processes (string.GetHashCode is not).
    private long DerivedSeed()
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in $"{Root.Seed}/{Prefix}") { h ^= c; h *= 1099511628211UL; }
        return (long)(h & 0x7FFFFFFF);
    }
}
