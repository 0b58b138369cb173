namespace OnnxKit.Training.Tuning;

/// <summary>
/// The built-in spaces of <c>onnxkit tune --model …</c>: the architecture's own parameters followed by the training
/// parameters every family shares (optimizer, learning rate and weight decay on a log scale, batch size, schedule).
/// </summary>
public static class SearchSpaces
{
    /// <summary>The families with a built-in space.</summary>
    public static IReadOnlyList<string> Families { get; } = ["mlp", "cnn"];

    /// <summary>Optimizer, learning rate (log-uniform), weight decay (log-uniform), batch size and learning-rate schedule.</summary>
    public static IReadOnlyList<SearchParameter> Training { get; } =
    [
        new CategoricalParameter("optimizer", ["adam", "adamw", "momentum"]),
        new FloatParameter("lr", 1e-4, 3e-2, Log: true),
        new FloatParameter("weight_decay", 1e-6, 1e-2, Log: true),
        new CategoricalParameter("batch_size", ["32", "64", "128", "256"]),
        new CategoricalParameter("schedule", ["constant", "cosine", "onecycle"]),
    ];

    /// <summary>The built-in space of an architecture family.</summary>
    /// <exception cref="ArgumentException">For a family without one.</exception>
    public static SearchSpace For(string family) => family.ToLowerInvariant() switch
    {
        "mlp" => new([new IntParameter("depth", 1, 3), new IntParameter("width", 32, 512, Log: true), new FloatParameter("dropout", 0, 0.5), .. Training]),
        "cnn" => new([new IntParameter("channels", 8, 64, Log: true), new CategoricalParameter("kernel", ["3", "5"]), new FloatParameter("dropout", 0, 0.5), .. Training]),
        _ => throw new ArgumentException($"no built-in search space for '{family}': expected one of {string.Join(", ", Families)}, or give --space FILE"),
    };
}
