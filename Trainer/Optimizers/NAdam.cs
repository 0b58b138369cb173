using OnnxKit.IR;

namespace OnnxKit.Training.Optimizers;

/// <summary>
/// NAdam (<c>torch.optim.NAdam</c>, PyTorch 1.13): Adam with Nesterov momentum and the momentum schedule
/// μₜ = β₁·(1 − ½·0.96^(t·ψ)). The product of the μ's is, as in PyTorch, a float32 state tensor (the shared slot <c>mu_product</c>), and
/// the two step coefficients are step scalars. The update is the paper's (Dozat 2016) and
/// PyTorch ≥ 2.0's: PyTorch 1.13 multiplies μₜ into the next product twice, a bug fixed upstream, which is not reproduced.
/// </summary>
public sealed class NAdam : Optimizer
{
    /// <summary>Creates the optimizer; the arguments and defaults are PyTorch's.</summary>
    public NAdam(double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3) : base(lr)
    {
        Beta1 = OptimizerChecks.Beta(beta1, "betas[0]");
        Beta2 = OptimizerChecks.Beta(beta2, "betas[1]");
        Eps = OptimizerChecks.NonNegative(eps, "eps");
        WeightDecay = OptimizerChecks.NonNegative(weightDecay, "weight_decay");
        MomentumDecay = OptimizerChecks.NonNegative(momentumDecay, "momentum_decay");
    }

    /// <summary>Decay of the first-moment average.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the second-moment average.</summary>
    public double Beta2 { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public double Eps { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }
    /// <summary>ψ of the momentum schedule.</summary>
    public double MomentumDecay { get; }

    /// <inheritdoc/>
    public override string Name => "nadam";
    /// <inheritdoc/>
    public override bool UpdatesElementwise => true;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots => [new("exp_avg", 0f), new("exp_avg_sq", 0f)];
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> SharedSlots => [new("mu_product", 1f)];

    private Value Mu(StepScalarScope s, Value t) => (1.0 - s.Pow(0.96, t * MomentumDecay) * 0.5) * Beta1;

    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope s)
    {
        var mu = Mu(s, s.Step);
        var muNext = Mu(s, s.Step + 1.0);
        // ∏_{i≤t} μᵢ accumulated in float32, as PyTorch keeps it.
        var product = s.Shared[0] * Op.Cast(mu, ElementType.Float32);
        s.NextShared[0] = product;
        var productNext = Op.Cast(product, ElementType.Float64) * muNext;
        return new Dictionary<string, Value>
        {
            ["bias_correction2"] = 1.0 - s.Pow(Beta2, s.Step),
            ["grad_coef"] = s.LearningRate * (1.0 - mu) / (1.0 - Op.Cast(product, ElementType.Float64)),
            ["exp_avg_coef"] = s.LearningRate * muNext / (1.0 - productNext),
        };
    }

    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars)
    {
        CheckState(param, state);
        if (WeightDecay != 0) grad = grad + param * WeightDecay;
        var m = state[0] * Beta1 + grad * (1 - Beta1);
        var v = state[1] * Beta2 + grad * grad * (1 - Beta2);
        var denom = Op.Sqrt(v / Scalar(scalars, "bias_correction2", param)) + Eps;
        var next = param - Scalar(scalars, "grad_coef", param) * (grad / denom);
        next = next - Scalar(scalars, "exp_avg_coef", param) * (m / denom);
        return new(next, [m, v]);
    }
}
