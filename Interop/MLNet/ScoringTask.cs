namespace OnnxKit.Interop.MLNet;

/// <summary>What the columns added to an ML.NET pipeline mean, so that ML.NET's evaluators accept them.</summary>
public enum ScoringTask
{
    /// <summary>
    /// <c>Score</c>: a vector of one value per class; <c>PredictedLabel</c>: a key whose values are the class labels
    /// (the model's <c>labels</c> metadata, or "0".."K-1"). Evaluate with <c>MulticlassClassification.Evaluate</c>.
    /// </summary>
    Multiclass,
    /// <summary>
    /// For a two-class model: <c>Score</c> the margin (logit of class 1 minus logit of class 0), <c>Probability</c> of
    /// class 1 and <c>PredictedLabel</c> (Boolean, probability above ½). Evaluate with <c>BinaryClassification.Evaluate</c>.
    /// </summary>
    Binary,
    /// <summary><c>Score</c>: the single output value. Evaluate with <c>Regression.Evaluate</c>.</summary>
    Regression,
}
