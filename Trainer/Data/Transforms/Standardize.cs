namespace OnnxKit.Training.Data;

/// <summary>
/// Standardisation fitted on a training set: (x − mean) / std per feature (every position of the sample) or per
/// channel. <see cref="Mean"/> and <see cref="Std"/> are exposed so they can be saved with the model and applied
/// unchanged to validation, test and serving data. The std is the population one (divisor N); a constant feature
/// (std 0) is only centred.
/// </summary>
public sealed class Standardize : ISampleTransform
{
    /// <summary>Fitted means (one per feature, or per channel).</summary>
    public float[] Mean { get; }
    /// <summary>Fitted standard deviations (same length as <see cref="Mean"/>; 1 where the data was constant).</summary>
    public float[] Std { get; }
    /// <summary>Whether the statistics are per channel (sample's first dimension) rather than per feature.</summary>
    public bool PerChannel { get; }

    /// <summary>Rebuilds a fitted transform from saved statistics.</summary>
    public Standardize(float[] mean, float[] std, bool perChannel = false)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Standardize: expected as many means as stds (at least one), found {mean.Length} and {std.Length}", nameof(std));
        Mean = mean; Std = std; PerChannel = perChannel;
    }

    /// <summary>Fits the statistics on <paramref name="train"/> (in float64).</summary>
    public static Standardize Fit(TensorDataset train, bool perChannel = false)
    {
        var (mean, std) = Moments(train, perChannel ? train.SampleShape[0] : train.SampleSize);
        return new Standardize(mean, std, perChannel);
    }

    /// <summary>
    /// Mean and population std (in float64, returned as float32) of each of <paramref name="groups"/> equal, consecutive
    /// parts of every sample: the sample size for per-feature statistics, the channel count for per-channel ones, 1 for
    /// one statistic over all values. A std of 0 (constant data) is returned as 1, so that the data is only centred.
    /// </summary>
    public static (float[] Mean, float[] Std) Moments(TensorDataset train, int groups)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException($"Standardize: cannot fit on the empty dataset {train.Source}", nameof(train));
        if (groups < 1 || train.SampleSize % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"Standardize: {groups} groups do not divide samples of {train.SampleSize} values");
        int groupLength = train.SampleSize / groups; // values of one group within one sample
        var sum = new double[groups];
        var sumSq = new double[groups];
        for (int n = 0; n < train.Count; n++)
        {
            var s = train.Sample(n);
            for (int i = 0; i < s.Length; i++) sum[i / groupLength] += s[i];
        }
        double count = (double)train.Count * groupLength;
        var mean = sum.Select(x => x / count).ToArray();
        for (int n = 0; n < train.Count; n++)
        {
            var s = train.Sample(n);
            for (int i = 0; i < s.Length; i++) { int g = i / groupLength; double d = s[i] - mean[g]; sumSq[g] += d * d; }
        }
        var std = sumSq.Select(x => Math.Sqrt(x / count)).Select(x => x > 0 ? (float)x : 1f).ToArray();
        return (mean.Select(x => (float)x).ToArray(), std);
    }

    /// <inheritdoc/>
    public void Check(IReadOnlyList<int> sampleShape)
    {
        int expected = PerChannel ? sampleShape[0] : sampleShape.Aggregate(1, (a, b) => a * b);
        if (Mean.Length != expected)
            throw new ArgumentException($"Standardize: fitted with {Mean.Length} statistics, but samples of shape [{string.Join(", ", sampleShape)}] need {expected}");
    }

    /// <inheritdoc/>
    public void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random)
    {
        int groupLength = sample.Length / Mean.Length;
        for (int i = 0; i < sample.Length; i++)
        {
            int g = i / groupLength;
            sample[i] = (sample[i] - Mean[g]) / Std[g];
        }
    }
}
