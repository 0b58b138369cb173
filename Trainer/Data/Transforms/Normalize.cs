namespace OnnxKit.Training.Data;

/// <summary>(x − mean) / std, with one mean/std for all values or one per channel (the sample's first dimension).</summary>
public sealed class Normalize : ISampleTransform
{
    /// <summary>Means (one, or one per channel).</summary>
    public IReadOnlyList<float> Mean { get; }
    /// <summary>Standard deviations (one, or one per channel).</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>Creates the transform.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or a std is not positive.</exception>
    public Normalize(float[] mean, float[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize: expected as many means as stds (at least one), found {mean.Length} and {std.Length}", nameof(std));
        if (std.Any(s => !(s > 0)))
            throw new ArgumentException($"Normalize: every std must be positive, found [{string.Join(", ", std)}]", nameof(std));
        Mean = (float[])mean.Clone();
        Std = (float[])std.Clone();
    }

    /// <inheritdoc/>
    public void Check(IReadOnlyList<int> sampleShape)
    {
        if (Mean.Count != 1 && Mean.Count != sampleShape[0])
            throw new ArgumentException($"Normalize: {Mean.Count} means/stds for samples of shape [{string.Join(", ", sampleShape)}]; expected 1 or {sampleShape[0]} (one per channel)");
    }

    /// <inheritdoc/>
    public void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random)
    {
        int plane = sample.Length / Mean.Count;
        for (int c = 0; c < Mean.Count; c++)
        {
            float m = Mean[c], inv = 1f / Std[c];
            foreach (ref float v in sample.Slice(c * plane, plane)) v = (v - m) * inv;
        }
    }
}
