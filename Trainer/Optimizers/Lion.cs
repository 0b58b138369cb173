namespace OnnxKit.Training.Optimizers;

/// <summary>
/// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2): the step is the sign of an
/// interpolation between momentum and gradient, with decoupled weight decay:
/// c = β₁·m + (1 − β₁)·g; p ← p·(1 − lr·λ) − lr·sign(c); m ← β₂·m + (1 − β₂)·g.
/// </summary>
public sealed class Lion : Optimizer
{
    /// <summary>Creates the optimizer with the paper's defaults (β₁ = 0.9, β₂ = 0.99).</summary>
    public Lion(double lr = 1e-4, double beta1 = 0.9, double beta2 = 0.99, double weightDecay = 0) : base(lr)
    {
        Beta1 = OptimizerChecks.Beta(beta1, "betas[0]");
        Beta2 = OptimizerChecks.Beta(beta2, "betas[1]");
        WeightDecay = OptimizerChecks.NonNegative(weightDecay, "weight_decay");
    }

    /// <summary>Interpolation factor of the update direction.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the momentum.</summary>
    public double Beta2 { get; }
    /// <summary>Decoupled weight decay λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    public override string Name => "lion";
    /// <inheritdoc/>
    public override bool UpdatesElementwise => true;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots => [new("exp_avg", 0f)];
    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope s) =>
        new Dictionary<string, Value> { ["lr"] = s.LearningRate, ["decay_factor"] = 1.0 - s.LearningRate * WeightDecay };


    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars)
    {
        CheckState(param, state);
        var direction = Op.Sign(state[0] * Beta1 + grad * (1 - Beta1));
        var next = param * Scalar(scalars, "decay_factor", param) - Scalar(scalars, "lr", param) * direction;
        var m = state[0] * Beta2 + grad * (1 - Beta2);
        return new(next, [m]);
    }
}
