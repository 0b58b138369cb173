namespace OnnxKit.Training.Data;

/// <summary>
/// Holds out a validation part that keeps each class's share of the data (scikit-learn's
/// <c>train_test_split(..., stratify=y)</c>): every class gives round(fraction × its count) samples, chosen by a shuffle
/// seeded by the seed and the class, so the same seed gives the same split.
/// </summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Splits <paramref name="data"/> into training and validation parts, the validation part holding about
    /// <paramref name="validationFraction"/> of the samples: per class for class-labelled data, over all samples otherwise.
    /// Both parts keep the order of the original data.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not strictly between 0 and 1.</exception>
    /// <exception cref="ArgumentException">Either part would be empty.</exception>
    public static DatasetSplit Split(TensorDataset data, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"the validation fraction must lie strictly between 0 and 1, got {validationFraction}");
        if (data.Labels is null) return data.Split(1 - validationFraction, seed);
        var held = new List<int>();
        foreach (var cls in Enumerable.Range(0, data.Count).GroupBy(i => data.Labels[i]).OrderBy(c => c.Key))
        {
            var members = cls.ToArray();
            new SeededRandom(SeededRandom.Derive((ulong)seed, 0x57A7UL + (ulong)cls.Key)).Shuffle(members);
            held.AddRange(members.Take((int)Math.Round(validationFraction * members.Length)));
        }
        var heldSet = held.ToHashSet();
        var validation = Enumerable.Range(0, data.Count).Where(heldSet.Contains).ToArray();
        var train = Enumerable.Range(0, data.Count).Where(i => !heldSet.Contains(i)).ToArray();
        if (validation.Length == 0 || train.Length == 0)
            throw new ArgumentException($"{data.Source}: a validation fraction of {validationFraction} of {data.Count} samples leaves {(validation.Length == 0 ? "no validation" : "no training")} samples");
        return new DatasetSplit(data.Subset(train), data.Subset(validation));
    }
}
