namespace OnnxKit.Training.Optimizers;

/// <summary>
/// Adamax (<c>torch.optim.Adamax</c>, PyTorch 1.13): Adam with the infinity norm, u ← max(β₂·u, |g| + eps); the step
/// lr / (1 − β₁ᵗ) is the step scalar <c>clr</c>.
/// </summary>
public sealed class Adamax : Optimizer
{
    /// <summary>Creates the optimizer; the arguments and defaults are PyTorch's.</summary>
    public Adamax(double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0) : base(lr)
    {
        Beta1 = OptimizerChecks.Beta(beta1, "betas[0]");
        Beta2 = OptimizerChecks.Beta(beta2, "betas[1]");
        Eps = OptimizerChecks.NonNegative(eps, "eps");
        WeightDecay = OptimizerChecks.NonNegative(weightDecay, "weight_decay");
    }

    /// <summary>Decay of the first-moment average.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the infinity norm.</summary>
    public double Beta2 { get; }
    /// <summary>Added to |g| for stability.</summary>
    public double Eps { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    public override string Name => "adamax";
    /// <inheritdoc/>
    public override bool UpdatesElementwise => true;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots => [new("exp_avg", 0f), new("exp_inf", 0f)];
    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope s) =>
        new Dictionary<string, Value> { ["clr"] = s.LearningRate / (1.0 - s.Pow(Beta1, s.Step)) };

    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars)
    {
        CheckState(param, state);
        if (WeightDecay != 0) grad = grad + param * WeightDecay;
        var m = state[0] * Beta1 + grad * (1 - Beta1);
        var u = Op.Max(state[1] * Beta2, Op.Abs(grad) + Eps);
        return new(param - Scalar(scalars, "clr", param) * (m / u), [m, u]);
    }
}
