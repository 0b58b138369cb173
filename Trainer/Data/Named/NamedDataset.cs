namespace OnnxKit.Training.Data;

/// <summary>
/// A dataset of named arrays with one row per sample in each (Keras' <c>fit(x={"features": …, "tokens": …}, y={"class": …})</c>):
/// the arrays named like a model's inputs feed them, and the arrays named like its outputs hold those outputs' targets.
/// Arrays of any element type (float features, int64 token ids or class labels); every array has the same number of samples.
/// </summary>
public sealed class NamedDataset
{
    private readonly Dictionary<string, NamedArray> _arrays;

    /// <summary>Number of samples.</summary>
    public int Count { get; }
    /// <summary>Where the data came from, used in error messages.</summary>
    public string Source { get; }
    /// <summary>The arrays by name.</summary>
    public IReadOnlyDictionary<string, NamedArray> Arrays => _arrays;

    /// <summary>Creates the dataset.</summary>
    /// <exception cref="ArgumentException">No array, or arrays of different sample counts (named with their counts).</exception>
    public NamedDataset(IReadOnlyDictionary<string, NamedArray> arrays, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        Source = source ?? "in-memory dataset";
        if (arrays.Count == 0) throw new ArgumentException($"{Source}: a named dataset needs at least one array", nameof(arrays));
        var counts = arrays.Select(a => (a.Key, a.Value.Count)).ToList();
        if (counts.Select(c => c.Count).Distinct().Count() > 1)
            throw new ArgumentException($"{Source}: the arrays hold different numbers of samples ({string.Join(", ", counts.Select(c => $"'{c.Key}' {c.Count}"))}); every array needs one row per sample", nameof(arrays));
        _arrays = new Dictionary<string, NamedArray>(arrays);
        Count = counts[0].Count;
    }

    /// <summary>The array named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such array (the message lists the arrays there are).</exception>
    public NamedArray this[string name] => _arrays.TryGetValue(name, out var a) ? a
        : throw new KeyNotFoundException($"{Source} has no array '{name}'; it has [{string.Join(", ", _arrays.Keys)}]");

    /// <summary>Whether an array of that name exists.</summary>
    public bool Has(string name) => _arrays.ContainsKey(name);

    /// <summary>A new dataset holding copies of the samples at <paramref name="rows"/>, in that order.</summary>
    public NamedDataset Subset(IReadOnlyList<int> rows) => new(_arrays.ToDictionary(a => a.Key, a => a.Value.Subset(rows)), Source);
}
