namespace OnnxKit.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay
/// (<c>torch.optim.SGD</c>, PyTorch 1.13). PyTorch starts the momentum buffer as a copy of the first gradient; here the
/// buffer starts at zero and the step scalar <c>grad_scale</c> is 1 on step 1 and 1 − dampening afterwards, which gives
/// exactly that buffer.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimizer; the arguments and defaults are PyTorch's.</summary>
    public Sgd(double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false) : base(lr)
    {
        Momentum = OptimizerChecks.NonNegative(momentum, "momentum");
        Dampening = OptimizerChecks.NonNegative(dampening, "dampening");
        WeightDecay = OptimizerChecks.NonNegative(weightDecay, "weight_decay");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"nesterov momentum requires momentum > 0 and dampening = 0 (got momentum {momentum}, dampening {dampening})", nameof(nesterov));
        Nesterov = nesterov;
    }

    /// <summary>Momentum factor (0: plain SGD).</summary>
    public double Momentum { get; }
    /// <summary>Dampening of the momentum buffer's gradient term.</summary>
    public double Dampening { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public override string Name => "sgd";
    /// <inheritdoc/>
    public override bool UpdatesElementwise => true;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots => Momentum > 0 ? [new("momentum_buffer", 0f)] : [];
    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope s)
    {
        var result = new Dictionary<string, Value> { ["lr"] = s.LearningRate };
        // 1 on the first step, 1 − dampening afterwards: min(t − 1, 1) is 0 then 1.
        if (Momentum > 0) result["grad_scale"] = 1.0 - Op.Min(s.Step - 1.0, s.Constant(1)) * Dampening;
        return result;
    }

    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars)
    {
        CheckState(param, state);
        var lr = Scalar(scalars, "lr", param);
        var d = WeightDecay != 0 ? grad + param * WeightDecay : grad;
        if (Momentum == 0) return new(param - lr * d, []);
        var buf = state[0] * Momentum + d * Scalar(scalars, "grad_scale", param);
        var step = Nesterov ? d + buf * Momentum : buf;
        return new(param - lr * step, [buf]);
    }
}
