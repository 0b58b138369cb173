using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Negative log-likelihood (PyTorch <c>nll_loss</c>) of log-probabilities [N, C, d1, …] at class indices
/// int64 [N, d1, …], with optional class weights (weighted mean Σ w·l / Σ w) and an ignored index.
/// </summary>
public sealed class NegativeLogLikelihoodLoss : Loss
{
    /// <summary>Creates the loss; see <see cref="Losses.NegativeLogLikelihood"/>.</summary>
    public NegativeLogLikelihoodLoss(double[]? classWeights = null, long? ignoreIndex = null, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (classWeights is { Length: 0 }) throw new ArgumentException("class weights must not be empty (pass null for none)", nameof(classWeights));
        ClassWeights = classWeights?.ToArray(); IgnoreIndex = ignoreIndex;
    }

    /// <summary>Per-class weights [C], or null.</summary>
    public double[]? ClassWeights { get; }
    /// <summary>A target class index whose positions contribute nothing, or null.</summary>
    public long? IgnoreIndex { get; }

    /// <inheritdoc/>
    public override string Name => "negative_log_likelihood";

    /// <inheritdoc/>
    protected override string TargetDescription => "class indices: the prediction's shape without the class axis 1";

    /// <inheritdoc/>
    protected override Shape? PerElementShape(TensorType prediction) => LossMath.ClassIndexType(prediction, Name).Shape;

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => LossMath.ClassIndexType(prediction, Name);

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        LossMath.CheckClassWeights(ClassWeights, prediction, Name);
        var et = LossMath.FloatType(prediction);
        var w = ClassWeights is null ? null : LossMath.Vector(prediction.Builder, ClassWeights, et);
        var loss = Op.NegativeLogLikelihoodLoss(prediction, target, w, LossMath.OnnxReduction(Reduction), IgnoreIndex);
        return Finish(Reduction == Reduction.BatchMean ? Op.Div(loss, LossMath.DimSize(prediction, 0, et)) : loss, prediction);
    }
}
