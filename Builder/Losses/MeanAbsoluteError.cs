using OnnxKit.IR;

namespace OnnxKit;

/// <summary>Mean absolute error, L1 (PyTorch <c>l1_loss</c>): |prediction − target|, target of the prediction's type and shape.</summary>
public sealed class MeanAbsoluteErrorLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_error";

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => prediction;

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        return Finish(LossMath.Reduce(Op.Abs(prediction - target), Reduction, prediction, LossMath.FloatType(prediction)), prediction);
    }
}
