namespace OnnxKit.Training.Data;

/// <summary>Maps [min, max] linearly onto [0, 1] (default 0–255, raw 8-bit pixels).</summary>
public sealed class ScaleToUnit : ISampleTransform
{
    /// <summary>The value mapped to 0.</summary>
    public float Min { get; }
    /// <summary>The value mapped to 1.</summary>
    public float Max { get; }

    /// <summary>Creates the transform.</summary>
    public ScaleToUnit(float min = 0f, float max = 255f)
    {
        if (!(max > min)) throw new ArgumentException($"ScaleToUnit: max ({max}) must exceed min ({min})", nameof(max));
        Min = min; Max = max;
    }

    /// <inheritdoc/>
    public void Check(IReadOnlyList<int> sampleShape) { }

    /// <inheritdoc/>
    public void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random)
    {
        float range = Max - Min;
        foreach (ref float v in sample) v = (v - Min) / range;
    }
}
