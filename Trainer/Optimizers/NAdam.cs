namespace OnnxKit.Training.Optimizers;

/// <summary>
/// NAdam (<c>torch.optim.NAdam</c>, PyTorch 1.13): Adam with Nesterov momentum and the momentum schedule
/// μₜ = β₁·(1 − ½·0.96^(t·ψ)). The product of the μ's, which PyTorch keeps as a float32 state tensor, is computed on the host
/// the same way (float32), and the two step coefficients are step scalars. The update is the paper's (Dozat 2016) and
/// PyTorch ≥ 2.0's: PyTorch 1.13 multiplies μₜ into the next product twice, a bug fixed upstream, which is not reproduced.
/// </summary>
public sealed class NAdam : Optimizer
{
    private readonly object _cacheLock = new();
    private long _cachedStep;
    private float _cachedProduct = 1f;

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
    public override IReadOnlyList<SlotSpec> Slots => [new("exp_avg", 0f), new("exp_avg_sq", 0f)];
    /// <inheritdoc/>
    public override IReadOnlyList<string> StepScalars => ["bias_correction2", "grad_coef", "exp_avg_coef"];

    private double Mu(long t) => Beta1 * (1.0 - 0.5 * Math.Pow(0.96, t * MomentumDecay));

    /// <summary>∏_{i≤t} μᵢ accumulated in float32 as PyTorch does (cached, so consecutive steps cost O(1)).</summary>
    private float MuProduct(long t)
    {
        lock (_cacheLock)
        {
            if (t < _cachedStep) { _cachedStep = 0; _cachedProduct = 1f; }
            for (long i = _cachedStep + 1; i <= t; i++) _cachedProduct *= (float)Mu(i);
            _cachedStep = t;
            return _cachedProduct;
        }
    }

    /// <inheritdoc/>
    public override float[] StepScalarValues(long step, double lr)
    {
        double mu = Mu(step), muNext = Mu(step + 1);
        double product = MuProduct(step);
        double productNext = product * muNext;
        return F(1 - Math.Pow(Beta2, step), lr * (1 - mu) / (1 - product), lr * muNext / (1 - productNext));
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
