namespace OnnxKit;

/// <summary>
/// The catalogue of losses, Keras-style names with PyTorch 1.13's semantics (<c>torch.nn.functional</c>):
/// <c>Losses.SparseCategoricalCrossEntropy(fromLogits: true)</c>, <c>Losses.MeanSquaredError()</c>, ….
/// </summary>
public static class Losses
{
    /// <summary>Mean squared error, (prediction − target)².</summary>
    public static MeanSquaredErrorLoss MeanSquaredError(Reduction reduction = Reduction.Mean) => new(reduction);

    /// <summary>Mean absolute error, |prediction − target|.</summary>
    public static MeanAbsoluteErrorLoss MeanAbsoluteError(Reduction reduction = Reduction.Mean) => new(reduction);

    /// <summary>L1 loss: the same as <see cref="MeanAbsoluteError"/> (PyTorch's name).</summary>
    public static MeanAbsoluteErrorLoss L1(Reduction reduction = Reduction.Mean) => new(reduction);

    /// <summary>Huber loss: quadratic below <paramref name="delta"/>, then linear with slope δ (PyTorch <c>huber_loss</c>).</summary>
    public static HuberLoss Huber(double delta = 1.0, Reduction reduction = Reduction.Mean) => new(delta, reduction);

    /// <summary>Smooth L1: Huber(β)/β, quadratic below <paramref name="beta"/>, then linear with slope 1 (PyTorch <c>smooth_l1_loss</c>).</summary>
    public static SmoothL1Loss SmoothL1(double beta = 1.0, Reduction reduction = Reduction.Mean) => new(beta, reduction);

    /// <summary>
    /// Cross-entropy over classes on axis 1 (PyTorch <c>cross_entropy</c>; from probabilities, Keras's meaning).
    /// </summary>
    /// <param name="fromLogits">True: the prediction holds logits; false: probabilities.</param>
    /// <param name="sparse">True: targets are class indices int64 [N, d1…]; false: probabilities of the prediction's shape.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target mixes (1 − ε) of the label with ε spread uniformly over the classes.</param>
    /// <param name="classWeights">Per-class weights [C]; the mean becomes Σ w·l / Σ w for sparse targets.</param>
    /// <param name="ignoreIndex">A class index (sparse targets) whose positions add nothing and are left out of the mean.</param>
    /// <param name="reduction">How per-position losses are combined.</param>
    public static CrossEntropyLoss CrossEntropy(bool fromLogits = true, bool sparse = true, double labelSmoothing = 0,
        double[]? classWeights = null, long? ignoreIndex = null, Reduction reduction = Reduction.Mean) =>
        new(fromLogits, sparse, labelSmoothing, classWeights, ignoreIndex, reduction);

    /// <summary>Cross-entropy with class-index targets; say explicitly whether the prediction holds logits.</summary>
    public static CrossEntropyLoss SparseCategoricalCrossEntropy(bool fromLogits, Reduction reduction = Reduction.Mean) =>
        new(fromLogits, sparse: true, reduction: reduction);

    /// <summary>Cross-entropy with one-hot or probability targets; say explicitly whether the prediction holds logits.</summary>
    public static CrossEntropyLoss CategoricalCrossEntropy(bool fromLogits, Reduction reduction = Reduction.Mean) =>
        new(fromLogits, sparse: false, reduction: reduction);

    /// <summary>Binary cross-entropy on probabilities, logs clamped at −100 (PyTorch <c>binary_cross_entropy</c>).</summary>
    public static BinaryCrossEntropyLoss BinaryCrossEntropy(Reduction reduction = Reduction.Mean) => new(reduction);

    /// <summary>Binary cross-entropy on logits, numerically stable, optional positive weights over the last axis (PyTorch <c>binary_cross_entropy_with_logits</c>).</summary>
    public static BinaryCrossEntropyWithLogitsLoss BinaryCrossEntropyWithLogits(double[]? posWeight = null, Reduction reduction = Reduction.Mean) =>
        new(posWeight, reduction);

    /// <summary>Negative log-likelihood of log-probabilities at class indices (PyTorch <c>nll_loss</c>).</summary>
    public static NegativeLogLikelihoodLoss NegativeLogLikelihood(double[]? classWeights = null, long? ignoreIndex = null, Reduction reduction = Reduction.Mean) =>
        new(classWeights, ignoreIndex, reduction);

    /// <summary>KL divergence of log-probability predictions from (log-)probability targets (PyTorch <c>kl_div</c>).</summary>
    public static KLDivergenceLoss KLDivergence(bool logTarget = false, Reduction reduction = Reduction.Mean) => new(logTarget, reduction);
}
