namespace OnnxKit.Training.Data;

/// <summary>
/// A small, fully specified pseudo-random generator (SplitMix64). The data pipeline uses it instead of
/// <see cref="System.Random"/> so that a seed gives the same shuffles and augmentations on every .NET version
/// and platform, and so that a stream can be derived from (seed, epoch, sample) without any shared state:
/// that is what makes a resumed run, or a prefetching loader, see exactly the same data as an uninterrupted one.
/// </summary>
public sealed class SeededRandom
{
    private ulong _state;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public SeededRandom(ulong seed) => _state = seed;

    /// <summary>Derives one well-mixed seed from several values (e.g. user seed, epoch, sample position).</summary>
    public static ulong Derive(params ulong[] parts)
    {
        ulong h = 0x6A09E667F3BCC909UL;
        foreach (var p in parts) h = Mix(h ^ Mix(p + 0x9E3779B97F4A7C15UL));
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        // Multiply-shift on the top 32 bits: the bias is below 2^-32 for any int range, far under what matters here.
        return (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1], so the log is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
