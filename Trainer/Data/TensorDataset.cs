namespace OnnxKit.Training.Data;

/// <summary>
/// A dataset held in memory: every sample's features in one contiguous <c>float[]</c> (sample-major, each sample
/// of <see cref="SampleShape"/>), and either class labels (<see cref="Labels"/>) or float targets
/// (<see cref="Targets"/>, <see cref="TargetWidth"/> values per sample).
/// </summary>
public sealed class TensorDataset
{
    /// <summary>All features, sample after sample.</summary>
    public float[] Features { get; }
    /// <summary>The shape of one sample (e.g. [1, 28, 28] for a grayscale image, [13] for a table row).</summary>
    public int[] SampleShape { get; }
    /// <summary>Number of floats per sample (product of <see cref="SampleShape"/>).</summary>
    public int SampleSize { get; }
    /// <summary>Number of samples.</summary>
    public int Count { get; }
    /// <summary>Class indices in [0, <see cref="NumClasses"/>), one per sample; null for regression targets.</summary>
    public long[]? Labels { get; }
    /// <summary>Float targets, <see cref="TargetWidth"/> per sample; null for class labels.</summary>
    public float[]? Targets { get; }
    /// <summary>Target values per sample (1 for class labels).</summary>
    public int TargetWidth { get; }
    /// <summary>Number of classes (0 for regression targets).</summary>
    public int NumClasses { get; }
    /// <summary>Class names, index = label (empty for regression targets).</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Where the data came from (a file or folder), used in error messages.</summary>
    public string Source { get; }

    /// <summary>A classification dataset.</summary>
    /// <param name="features">Features, <paramref name="sampleShape"/> per sample.</param>
    /// <param name="sampleShape">Shape of one sample.</param>
    /// <param name="labels">One class index per sample.</param>
    /// <param name="classNames">Class names; when null they are "0", "1", … up to <paramref name="numClasses"/> or the largest label.</param>
    /// <param name="numClasses">Number of classes; defaults to the number of names, else the largest label + 1.</param>
    /// <param name="source">Where the data came from (named in errors).</param>
    /// <exception cref="InvalidDataException">A label lies outside [0, numClasses): names the source, the row and the range.</exception>
    public TensorDataset(float[] features, int[] sampleShape, long[] labels, IReadOnlyList<string>? classNames = null, int? numClasses = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Source = source ?? "in-memory dataset";
        (Features, SampleShape, SampleSize, Count) = CheckFeatures(features, sampleShape, labels.Length, Source);
        int classes = numClasses ?? classNames?.Count ?? (labels.Length == 0 ? 0 : (int)Math.Max(0, labels.Max() + 1));
        if (classNames is not null && classNames.Count != classes)
            throw new ArgumentException($"{Source}: {classNames.Count} class names given for {classes} classes", nameof(classNames));
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0 || labels[i] >= classes)
                throw new InvalidDataException($"{Source}: label {labels[i]} of sample {i} is outside the class range [0, {classes})");
        Labels = labels;
        TargetWidth = 1;
        NumClasses = classes;
        ClassNames = classNames?.ToArray() ?? Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>A regression (or multi-target) dataset.</summary>
    /// <param name="features">Features, <paramref name="sampleShape"/> per sample.</param>
    /// <param name="sampleShape">Shape of one sample.</param>
    /// <param name="targets">Targets, <paramref name="targetWidth"/> per sample.</param>
    /// <param name="targetWidth">Targets per sample.</param>
    /// <param name="source">Where the data came from (named in errors).</param>
    public TensorDataset(float[] features, int[] sampleShape, float[] targets, int targetWidth = 1, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetWidth);
        Source = source ?? "in-memory dataset";
        if (targets.Length % targetWidth != 0)
            throw new ArgumentException($"{Source}: {targets.Length} targets is not a multiple of the target width {targetWidth}", nameof(targets));
        (Features, SampleShape, SampleSize, Count) = CheckFeatures(features, sampleShape, targets.Length / targetWidth, Source);
        Targets = targets;
        TargetWidth = targetWidth;
        ClassNames = [];
    }

    private static (float[], int[], int, int) CheckFeatures(float[] features, int[] sampleShape, int count, string source)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Any(d => d <= 0))
            throw new ArgumentException($"{source}: sample shape [{string.Join(", ", sampleShape)}] has a non-positive dimension", nameof(sampleShape));
        int size = sampleShape.Aggregate(1, (a, b) => checked(a * b));
        if ((long)size * count != features.Length)
            throw new ArgumentException($"{source}: {features.Length} feature values do not hold {count} samples of shape [{string.Join(", ", sampleShape)}] ({(long)size * count} values expected)", nameof(features));
        return (features, (int[])sampleShape.Clone(), size, count);
    }

    /// <summary>The features of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Sample(int index) => Features.AsSpan(checked(index * SampleSize), SampleSize);

    /// <summary>A new dataset holding copies of the samples at <paramref name="indices"/>, in that order.</summary>
    public TensorDataset Subset(IReadOnlyList<int> indices)
    {
        var features = new float[(long)indices.Count * SampleSize];
        for (int i = 0; i < indices.Count; i++)
            Sample(indices[i]).CopyTo(features.AsSpan(i * SampleSize, SampleSize));
        if (Labels is not null)
            return new TensorDataset(features, SampleShape, indices.Select(i => Labels[i]).ToArray(), ClassNames, NumClasses, Source);
        var targets = new float[(long)indices.Count * TargetWidth];
        for (int i = 0; i < indices.Count; i++)
            Targets.AsSpan(indices[i] * TargetWidth, TargetWidth).CopyTo(targets.AsSpan(i * TargetWidth, TargetWidth));
        return new TensorDataset(features, SampleShape, targets, TargetWidth, Source);
    }

    /// <summary>
    /// Splits into a training part holding <paramref name="trainFraction"/> of the samples (rounded) and a validation
    /// part holding the rest, after a shuffle seeded by <paramref name="seed"/> (the same seed gives the same split).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not strictly between 0 and 1.</exception>
    public DatasetSplit Split(double trainFraction, int seed = 0)
    {
        if (!(trainFraction > 0 && trainFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "the training fraction must lie strictly between 0 and 1");
        var order = Enumerable.Range(0, Count).ToArray();
        new SeededRandom(SeededRandom.Derive((ulong)seed, 0x5B117UL)).Shuffle(order);
        int nTrain = (int)Math.Round(trainFraction * Count);
        return new DatasetSplit(Subset(order[..nTrain]), Subset(order[nTrain..]));
    }
}

/// <summary>A training part and a validation part of one dataset.</summary>
/// <param name="Train">The training samples.</param>
/// <param name="Validation">The held-out samples.</param>
public sealed record DatasetSplit(TensorDataset Train, TensorDataset Validation);

/// <summary>A dataset's standard training and test sets (as published).</summary>
/// <param name="Train">The training set.</param>
/// <param name="Test">The test set.</param>
public sealed record DatasetSplits(TensorDataset Train, TensorDataset Test);
