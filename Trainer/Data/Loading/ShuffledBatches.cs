namespace OnnxKit.Training.Data;

/// <summary>
/// The usual batches: consecutive slices of one permutation of the rows per epoch (the identity without shuffling),
/// the last slice shorter unless it is dropped by the caller's step count. The permutation of an epoch is a fixed
/// function of (seed, epoch), the same in every process, so a resumed run replays exactly the batches of the
/// interrupted one. It is what <see cref="DataLoader"/> and <c>Learner.Fit</c> use unless given another
/// <see cref="IBatchSampler"/>; a sampler that serves only part of each batch (a data-parallel rank's share, say) can
/// wrap it.
/// </summary>
public sealed class ShuffledBatches : IBatchSampler
{
    /// <summary>Creates the sampler.</summary>
    /// <param name="batchSize">Rows per batch (positive).</param>
    /// <param name="seed">Seed of the permutations.</param>
    /// <param name="shuffle">False: every epoch in row order.</param>
    public ShuffledBatches(int batchSize, int seed, bool shuffle = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BatchSize = batchSize; Seed = seed; Shuffle = shuffle;
    }

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Seed of the permutations.</summary>
    public int Seed { get; }
    /// <summary>Whether epochs are permuted.</summary>
    public bool Shuffle { get; }

    /// <summary>The order of the <paramref name="count"/> rows in epoch <paramref name="epoch"/> (1-based).</summary>
    public int[] Order(int count, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (!Shuffle) return order;
        // A fixed mix of (seed, epoch) into System.Random's seeded generator, whose sequence .NET keeps stable for a given
        // seed (HashCode.Combine would be randomised per process); Fisher–Yates from the end.
        var rng = new Random((int)((uint)(Seed * 1_000_003 + epoch * 7919 + 17) & int.MaxValue));
        for (int i = count - 1; i > 0; i--) { int j = rng.Next(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        return order;
    }

    /// <inheritdoc/>
    public IReadOnlyList<int[]> Batches(int count, int epoch, int steps)
    {
        var order = Order(count, epoch);
        var batches = new int[steps][];
        for (int k = 0; k < steps; k++)
        {
            int start = Math.Min(count, k * BatchSize);
            batches[k] = order[start..Math.Min(count, start + BatchSize)];
        }
        return batches;
    }
}
