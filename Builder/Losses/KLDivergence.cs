using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Kullback–Leibler divergence (PyTorch <c>kl_div</c>): the prediction holds log-probabilities log q, the target
/// probabilities t (or log t with <see cref="LogTarget"/>); per element t·(log t − log q), 0 where t = 0.
/// Use <see cref="Reduction.BatchMean"/> for the true divergence per sample (PyTorch's <c>'batchmean'</c>);
/// <see cref="Reduction.Mean"/> divides by every element, as PyTorch's <c>'mean'</c> does.
/// </summary>
public sealed class KLDivergenceLoss(bool logTarget = false, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>True when the target holds log-probabilities.</summary>
    public bool LogTarget { get; } = logTarget;

    /// <inheritdoc/>
    public override string Name => "kl_divergence";

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => prediction;

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        var g = prediction.Builder;
        var et = LossMath.FloatType(prediction);
        Value l;
        if (LogTarget) l = Op.Exp(target) * (target - prediction);
        else
        {
            // xlogy(t, t): t·log t with 0·log 0 = 0 (the Where picks 0 before the NaN of 0·−∞ reaches the result).
            var zero = LossMath.C(g, 0, et);
            var tLogT = Op.Where(Op.Equal(target, zero), zero, target * Op.Log(target));
            l = tLogT - target * prediction;
        }
        return Finish(LossMath.Reduce(l, Reduction, prediction, et), prediction);
    }
}
