using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Binary cross-entropy on probabilities (PyTorch <c>binary_cross_entropy</c>): −[t·log p + (1 − t)·log(1 − p)],
/// each logarithm clamped at −100 as PyTorch does, so p = 0 or 1 gives a finite loss. Target: the prediction's type and shape.
/// </summary>
public sealed class BinaryCrossEntropyLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override string Name => "binary_crossentropy";

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => prediction;

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        var et = LossMath.FloatType(prediction);
        var one = LossMath.C(prediction.Builder, 1, et);
        var l = target * LossMath.ClampedLog(prediction, et) + (one - target) * LossMath.ClampedLog(one - prediction, et);
        return Finish(Op.Neg(LossMath.Reduce(l, Reduction, prediction, et)), prediction);
    }
}

/// <summary>
/// Binary cross-entropy on logits x (PyTorch <c>binary_cross_entropy_with_logits</c>) in its numerically stable form
/// (1 − t)·x + (1 + (w₊ − 1)·t)·softplus(−x), with softplus(−x) = log(1 + e^−|x|) + max(−x, 0), which neither
/// overflows nor loses the loss of a confident wrong logit. The optional positive weights w₊ broadcast against
/// the last axis (one per class in multi-label use).
/// </summary>
public sealed class BinaryCrossEntropyWithLogitsLoss : Loss
{
    /// <summary>Creates the loss; see <see cref="Losses.BinaryCrossEntropyWithLogits"/>.</summary>
    public BinaryCrossEntropyWithLogitsLoss(double[]? posWeight = null, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (posWeight is { Length: 0 }) throw new ArgumentException("positive weights must not be empty (pass null for none)", nameof(posWeight));
        PosWeight = posWeight?.ToArray();
    }

    /// <summary>Weights of the positive term, broadcast against the last axis, or null.</summary>
    public double[]? PosWeight { get; }

    /// <inheritdoc/>
    public override string Name => "binary_crossentropy_with_logits";

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => prediction;

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        var g = prediction.Builder;
        var et = LossMath.FloatType(prediction);
        if (PosWeight is not null && prediction.Shape is { Rank: > 0 } s && s[^1].IsKnown && PosWeight.Length != 1 && PosWeight.Length != s[^1].Value)
            throw new GraphBuildException($"loss '{Name}': {PosWeight.Length} positive weights do not broadcast against the last axis of prediction '{prediction.Name}' {prediction.Type}");
        var one = LossMath.C(g, 1, et);
        var x = prediction;
        var softplusNegX = Op.Log(one + Op.Exp(Op.Neg(Op.Abs(x)))) + Op.Relu(Op.Neg(x));
        var positive = PosWeight is null ? softplusNegX
            : (one + (LossMath.Vector(g, PosWeight, et) - one) * target) * softplusNegX;
        return Finish(LossMath.Reduce((one - target) * x + positive, Reduction, prediction, et), prediction);
    }
}
