using System.Text.Json.Serialization;

namespace OnnxKit.Training.Fit;

/// <summary>What one epoch of <see cref="OnnxKit.Training.Fit.Learner.Fit(OnnxKit.Training.Data.TensorDataset, OnnxKit.Training.Fit.FitOptions)"/> measured.</summary>
public sealed record EpochRecord
{
    /// <summary>1-based epoch number.</summary>
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    /// <summary>Wall-clock seconds of the training part of the epoch.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    /// <summary>Mean training loss over the epoch's batches (weighted by batch size).</summary>
    [JsonPropertyName("train_loss")] public double TrainLoss { get; init; }
    /// <summary>Training metrics by name (accuracy → <c>train_accuracy</c> in JSON).</summary>
    [JsonIgnore] public Dictionary<string, double> TrainMetrics { get; init; } = [];
    /// <summary>Validation loss, when validation data was given.</summary>
    [JsonPropertyName("val_loss")] public double? ValLoss { get; init; }
    /// <summary>Validation metrics by name.</summary>
    [JsonIgnore] public Dictionary<string, double> ValMetrics { get; init; } = [];
    /// <summary>Learning rate at the end of the epoch.</summary>
    [JsonPropertyName("lr")] public double LearningRate { get; init; }
    /// <summary>Training samples per second.</summary>
    [JsonPropertyName("samples_per_second")] public double SamplesPerSecond { get; init; }

    /// <summary>Further per-epoch values written as their own columns (e.g. <c>epsilon</c>, the privacy spent so far), set by callbacks.</summary>
    [JsonIgnore] public Dictionary<string, double> Values { get; init; } = [];

    /// <summary>Flattened view used for JSON/CSV: train_X and val_X for each metric X.</summary>
    [JsonExtensionData]
    public Dictionary<string, object> Extra => TrainMetrics.Select(kv => ("train_" + kv.Key, (object)kv.Value))
        .Concat(ValMetrics.Select(kv => ("val_" + kv.Key, (object)kv.Value))).ToDictionary(t => t.Item1, t => t.Item2);
}

/// <summary>The per-epoch record of a training run (Keras' History).</summary>
public sealed class History
{
    /// <summary>Epochs in order.</summary>
    public List<EpochRecord> Epochs { get; } = [];
    /// <summary>True when a callback stopped training early.</summary>
    public bool StoppedEarly { get; internal set; }
    /// <summary>The reason training stopped early, if it did.</summary>
    public string? StopReason { get; internal set; }
    /// <summary>The last epoch's record.</summary>
    public EpochRecord? Last => Epochs.Count == 0 ? null : Epochs[^1];
}
