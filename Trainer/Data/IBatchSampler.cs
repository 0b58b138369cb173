namespace OnnxKit.Training.Data;

/// <summary>
/// Chooses the rows of every batch of an epoch, where consecutive slices of a shuffled order do not fit (Poisson
/// sampling for differential privacy gives batches of random size). Used by <c>FitOptions.Sampler</c>.
/// </summary>
public interface IBatchSampler
{
    /// <summary>The rows of each of the <paramref name="steps"/> batches of epoch <paramref name="epoch"/> (1-based) over <paramref name="count"/> samples; a batch may be empty.</summary>
    IReadOnlyList<int[]> Batches(int count, int epoch, int steps);
}
