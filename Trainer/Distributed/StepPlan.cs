namespace OnnxKit.Training.Distributed;

/// <summary>
/// How the rows of one optimisation step are shared out: the step's batch is cut into micro-batches of
/// <c>microBatch</c> rows (one per accumulated pass), and each micro-batch into one contiguous shard per rank, the
/// remainder spread over the first ranks (rank r of W gets ⌊n/W⌋ rows, plus one when r &lt; n mod W).
/// </summary>
internal static class StepPlan
{
    /// <summary>This rank's pieces of a step of <paramref name="count"/> rows: (first row in the step's batch, rows), empty pieces left out.</summary>
    public static IEnumerable<(int Start, int Count)> Pieces(int count, int microBatch, int rank, int size)
    {
        for (int m0 = 0; m0 < count; m0 += microBatch)
        {
            var (start, n) = Shard(Math.Min(microBatch, count - m0), rank, size);
            if (n > 0) yield return (m0 + start, n);
        }
    }

    /// <summary>Rank <paramref name="rank"/>'s contiguous share of <paramref name="rows"/> rows split over <paramref name="size"/> ranks.</summary>
    public static (int Start, int Count) Shard(int rows, int rank, int size)
    {
        int q = rows / size, r = rows % size;
        return (rank * q + Math.Min(rank, r), q + (rank < r ? 1 : 0));
    }
}
