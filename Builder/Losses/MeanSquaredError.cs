using OnnxKit.IR;

namespace OnnxKit;

/// <summary>Mean squared error (PyTorch <c>mse_loss</c>): (prediction − target)², target of the prediction's type and shape.</summary>
public sealed class MeanSquaredErrorLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_error";

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => prediction;

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        var d = prediction - target;
        return Finish(LossMath.Reduce(d * d, Reduction, prediction, LossMath.FloatType(prediction)), prediction);
    }
}
