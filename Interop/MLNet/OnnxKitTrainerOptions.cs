namespace OnnxKit.Interop.MLNet;

/// <summary>Options of <see cref="OnnxKitCatalog.Train"/>.</summary>
public sealed record OnnxKitTrainerOptions
{
    /// <summary>Feature column: a known-size vector of <see cref="float"/>. Default <c>Features</c>.</summary>
    public string FeatureColumnName { get; init; } = "Features";
    /// <summary>
    /// Label column. A key (multiclass: class index = key − 1, labels from its key values), a Boolean (binary: the
    /// network outputs two logits, class 1 = true) or a <see cref="float"/> (regression: one output). Default <c>Label</c>.
    /// </summary>
    public string LabelColumnName { get; init; } = "Label";
    /// <summary>Shape of one sample as the network sees it (default: the feature vector, [size]).</summary>
    public IReadOnlyList<int>? SampleShape { get; init; }
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Seed of the data order (the network's weights follow its own <c>Seed</c>).</summary>
    public int Seed { get; init; }
    /// <summary>The network outputs logits (true: apply softmax for scores and probabilities).</summary>
    public bool OutputsAreLogits { get; init; } = true;
    /// <summary>Names of the columns the trained model adds.</summary>
    public string ScoreColumnName { get; init; } = "Score";
    /// <summary>Predicted label column (classification).</summary>
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    /// <summary>Probability column (binary classification).</summary>
    public string ProbabilityColumnName { get; init; } = "Probability";
}
