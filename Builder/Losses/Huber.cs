using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Huber loss (PyTorch <c>huber_loss</c>): ½d² where |d| &lt; δ, else δ(|d| − ½δ), with d = prediction − target.
/// </summary>
public sealed class HuberLoss : Loss
{
    /// <summary>Creates the loss; <paramref name="delta"/> must be positive.</summary>
    public HuberLoss(double delta = 1.0, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (!(delta > 0)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "the Huber delta must be positive");
        Delta = delta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    public override string Name => "huber";

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => prediction;

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        var et = LossMath.FloatType(prediction);
        return Finish(LossMath.Reduce(Elementwise(prediction - target, Delta, et), Reduction, prediction, et), prediction);
    }

    /// <summary>
    /// The Huber function of d without a branch: with a = |d| and m = min(a, δ), ½m² + δ(a − m) is ½a² below δ and
    /// δ(a − ½δ) above, and its gradient flows through Min/Abs without a Where.
    /// </summary>
    internal static Value Elementwise(Value d, double delta, ElementType et)
    {
        var g = d.Builder;
        var a = Op.Abs(d);
        var m = Op.Min(a, LossMath.C(g, delta, et));
        return LossMath.C(g, 0.5, et) * m * m + LossMath.C(g, delta, et) * (a - m);
    }
}

/// <summary>
/// Smooth L1 loss (PyTorch <c>smooth_l1_loss</c>): ½d²/β where |d| &lt; β, else |d| − ½β. It equals Huber(δ = β) / β,
/// so unlike Huber its linear part has slope 1 whatever β; β = 0 is plain L1.
/// </summary>
public sealed class SmoothL1Loss : Loss
{
    /// <summary>Creates the loss; <paramref name="beta"/> must not be negative.</summary>
    public SmoothL1Loss(double beta = 1.0, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (!(beta >= 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "the smooth-L1 beta must not be negative");
        Beta = beta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Beta { get; }

    /// <inheritdoc/>
    public override string Name => "smooth_l1";

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction) => prediction;

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        var et = LossMath.FloatType(prediction);
        var d = prediction - target;
        var l = Beta == 0 ? Op.Abs(d) : Op.Div(HuberLoss.Elementwise(d, Beta, et), LossMath.C(d.Builder, Beta, et));
        return Finish(LossMath.Reduce(l, Reduction, prediction, et), prediction);
    }
}
