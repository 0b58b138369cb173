namespace OnnxKit.Interop.MLNet;

/// <summary>How an OnnxKit model is wired into an ML.NET pipeline: the input column and the names of the columns it adds.</summary>
public sealed record ScoringColumns
{
    /// <summary>The input column (a known-size vector of <see cref="float"/>), fed to the model's single input. Default <c>Features</c>.</summary>
    public string FeatureColumnName { get; init; } = "Features";
    /// <summary>The score column. Default <c>Score</c>.</summary>
    public string ScoreColumnName { get; init; } = "Score";
    /// <summary>The predicted-label column (classification). Default <c>PredictedLabel</c>.</summary>
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    /// <summary>The probability column (binary classification). Default <c>Probability</c>.</summary>
    public string ProbabilityColumnName { get; init; } = "Probability";
    /// <summary>What the columns mean (default: multiclass).</summary>
    public ScoringTask Task { get; init; } = ScoringTask.Multiclass;
    /// <summary>
    /// The model outputs logits (default): the binary <c>Probability</c> is their softmax. When false the outputs are
    /// taken as probabilities already (and the binary margin is their log-ratio).
    /// </summary>
    public bool OutputsAreLogits { get; init; } = true;
    /// <summary>
    /// Multiclass: put the softmax of the model's output into <c>Score</c> (what ML.NET's log-loss expects). Off by
    /// default, so that <c>Score</c> is exactly what the model computes.
    /// </summary>
    public bool SoftmaxScore { get; init; }
}
