using OnnxKit.Training.Data;

namespace OnnxKit.Training.Privacy;

/// <summary>
/// Poisson subsampling: every batch takes each of the N examples independently with probability q, so batch sizes
/// vary around q·N. This is the sampling the accountant's subsampled Gaussian mechanism assumes (shuffled fixed-size
/// batches would need another analysis). Batch k of epoch e is a function of (seed, e, k) alone, drawn by geometric
/// skips between chosen rows (O(q·N) per batch).
/// </summary>
public sealed class PoissonSampler : IBatchSampler
{
    /// <summary>Samples each example with probability <paramref name="rate"/>.</summary>
    public PoissonSampler(double rate, ulong seed = 0)
    {
        if (!(rate > 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "the sampling rate q must lie in (0, 1]");
        Rate = rate; Seed = seed;
    }

    /// <summary>q.</summary>
    public double Rate { get; }
    /// <summary>Seed of the batches.</summary>
    public ulong Seed { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int[]> Batches(int count, int epoch, int steps) =>
        Enumerable.Range(0, steps).Select(k => Batch(count, epoch, k)).ToList();

    /// <summary>Batch <paramref name="step"/> (0-based) of epoch <paramref name="epoch"/>.</summary>
    public int[] Batch(int count, int epoch, int step)
    {
        var rows = new List<int>((int)(Rate * count * 1.2) + 8);
        if (Rate == 1) return Enumerable.Range(0, count).ToArray();
        var rng = new SeededRandom(SeededRandom.Derive(Seed, (ulong)epoch, (ulong)step));
        double logMiss = Math.Log(1 - Rate);
        // The gap before the next chosen row is geometric: P(gap = k) = (1 − q)ᵏ q.
        for (double i = Math.Floor(Math.Log(1 - rng.NextDouble()) / logMiss); i < count; i += 1 + Math.Floor(Math.Log(1 - rng.NextDouble()) / logMiss))
            rows.Add((int)i);
        return [.. rows];
    }
}
