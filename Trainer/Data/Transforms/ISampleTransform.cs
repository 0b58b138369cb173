namespace OnnxKit.Training.Data;

/// <summary>
/// A change applied to each sample's features in place, in the loader's batch buffer. Random transforms draw only
/// from the <see cref="SeededRandom"/> they are handed, which the loader derives from (seed, epoch, position), so a
/// run is reproducible and a resumed run sees the same augmented data.
/// </summary>
public interface ISampleTransform
{
    /// <summary>Throws (naming the transform and the shape) when the transform cannot apply to samples of this shape.</summary>
    void Check(IReadOnlyList<int> sampleShape);

    /// <summary>Transforms one sample in place.</summary>
    void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random);
}
