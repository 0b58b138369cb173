using OnnxKit.Init;
using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Layer normalisation over the trailing axes given by <c>normalizedShape</c> (PyTorch's <c>nn.LayerNorm</c>),
/// one <c>LayerNormalization</c> node; with <c>elementwiseAffine</c> it learns weight (ones) and bias (zeros) of that shape.
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>The normalised trailing shape.</summary>
    public long[] NormalizedShape { get; }
    /// <summary>ε added to the variance.</summary>
    public float Eps { get; }
    /// <summary>Scale, or null without affine.</summary>
    public Parameter? Weight { get; }
    /// <summary>Shift, or null without affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Normalises over the last axis of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true) : this([normalizedShape], eps, elementwiseAffine) { }

    /// <summary>Normalises over the trailing axes of <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm: normalized_shape ({string.Join(", ", normalizedShape)}) must hold at least one positive size");
        NormalizedShape = (long[])normalizedShape.Clone(); Eps = eps;
        if (elementwiseAffine)
        {
            Weight = AddParameter("weight", NormalizedShape, Initializers.Ones);
            Bias = AddParameter("bias", NormalizedShape, Initializers.Zeros);
        }
    }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var g = x.Builder;
        if (x.Shape is { } s)
        {
            // The one check inference cannot make: that the normalised axes really are the trailing ones of this size.
            bool fits = s.Rank >= NormalizedShape.Length && NormalizedShape.Select((d, i) => s[s.Rank - NormalizedShape.Length + i].Compatible(d)).All(b => b);
            if (!fits) throw new GraphBuildException($"LayerNorm '{Prefix.TrimEnd('.')}': input '{x.Name}' has shape {s}, expected trailing axes [{string.Join(", ", NormalizedShape)}]");
        }
        var count = Initializers.Count(NormalizedShape);
        Value scale = Weight?.In(g) ?? g.Constant(TensorData.FromFloats("", Enumerable.Repeat(1f, (int)count).ToArray(), NormalizedShape));
        return Op.LayerNormalization(x, scale, Bias?.In(g), axis: -NormalizedShape.Length, epsilon: Eps).As(x);
    }
}
