namespace OnnxKit.Training.Optimizers;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>, PyTorch 1.13) with L2 weight decay added to the gradient and optional AMSGrad; also the
/// base of <see cref="AdamW"/>, which decays the weights directly instead.
/// </summary>
/// <remarks>
/// The update is PyTorch's, p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε), arranged so that a step costs ten elementwise
/// passes per parameter instead of thirteen (they dominate small models): the slots hold the moments divided by their
/// EMA weights, m̃ = m/(1−β₁) and ṽ = v/(1−β₂), so m̃ ← β₁·m̃ + g and ṽ ← β₂·ṽ + g², and every constant factor moves into
/// two step scalars computed once per step in the graph, p ← p − s·m̃/(√ṽ + e) with k = √((1−β₂)/(1−β₂ᵗ)), s = lr·(1−β₁)/((1−β₁ᵗ)·k) and
/// e = ε/k. The parameters follow PyTorch's to rounding; the slots are named <c>exp_avg_scaled</c> and
/// <c>exp_avg_sq_scaled</c> (and <c>max_exp_avg_sq_scaled</c>) because they are not PyTorch's <c>exp_avg</c> values.
/// </remarks>
public class Adam : Optimizer
{
    /// <summary>Creates the optimizer; the arguments and defaults are PyTorch's (betas = (beta1, beta2)).</summary>
    public Adam(double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false) : base(lr)
    {
        Beta1 = OptimizerChecks.Beta(beta1, "betas[0]");
        Beta2 = OptimizerChecks.Beta(beta2, "betas[1]");
        Eps = OptimizerChecks.NonNegative(eps, "eps");
        WeightDecay = OptimizerChecks.NonNegative(weightDecay, "weight_decay");
        AmsGrad = amsgrad;
    }

    /// <summary>Decay of the first-moment average.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the second-moment average.</summary>
    public double Beta2 { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public double Eps { get; }
    /// <summary>Weight decay (L2 penalty for Adam, decoupled for AdamW).</summary>
    public double WeightDecay { get; }
    /// <summary>Uses the running maximum of the second moment (AMSGrad).</summary>
    public bool AmsGrad { get; }

    /// <summary>True when weight decay is applied to the weights directly (AdamW) rather than added to the gradient.</summary>
    protected virtual bool DecoupledDecay => false;

    /// <inheritdoc/>
    public override string Name => "adam";
    /// <inheritdoc/>
    public override bool UpdatesElementwise => true;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots => AmsGrad
        ? [new("exp_avg_scaled", 0f), new("exp_avg_sq_scaled", 0f), new("max_exp_avg_sq_scaled", 0f)]
        : [new("exp_avg_scaled", 0f), new("exp_avg_sq_scaled", 0f)];
    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope s)
    {
        var k = Op.Sqrt(s.Constant(1 - Beta2) / (1.0 - s.Pow(Beta2, s.Step)));
        var scale = s.LearningRate * (1 - Beta1) / ((1.0 - s.Pow(Beta1, s.Step)) * k);
        var result = new Dictionary<string, Value> { ["update_scale"] = scale, ["eps_scaled"] = s.Constant(Eps) / k };
        if (DecoupledDecay) result["decay_factor"] = 1.0 - s.LearningRate * WeightDecay;
        return result;
    }

    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars)
    {
        CheckState(param, state);
        if (DecoupledDecay) param = param * Scalar(scalars, "decay_factor", param);
        else if (WeightDecay != 0) grad = grad + param * WeightDecay;
        // Scaled moments (see remarks): one multiply-add each instead of two multiplies and an add.
        var m = state[0] * Beta1 + grad;
        var v = state[1] * Beta2 + grad * grad;
        var vUsed = AmsGrad ? Op.Max(state[2], v) : v;
        var denom = Op.Sqrt(vUsed) + Scalar(scalars, "eps_scaled", param);
        var next = param - Scalar(scalars, "update_scale", param) * (m / denom);
        return new(next, AmsGrad ? [m, v, vUsed] : [m, v]);
    }
}

/// <summary>AdamW (<c>torch.optim.AdamW</c>, PyTorch 1.13): Adam with decoupled weight decay p ← p·(1 − lr·λ) before the step; default λ = 0.01.</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer; the arguments and defaults are PyTorch's.</summary>
    public AdamW(double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(lr, beta1, beta2, eps, weightDecay, amsgrad) { }

    /// <inheritdoc/>
    protected override bool DecoupledDecay => true;
    /// <inheritdoc/>
    public override string Name => "adamw";
}
