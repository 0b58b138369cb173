namespace OnnxKit.Training.Optimizers;

/// <summary>
/// RMSprop (<c>torch.optim.RMSprop</c>, PyTorch 1.13): a running average of squared gradients (optionally centred by the
/// running average of gradients) divides the step; optional momentum and L2 weight decay.
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Creates the optimizer; the arguments and defaults are PyTorch's.</summary>
    public RmsProp(double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false) : base(lr)
    {
        Alpha = OptimizerChecks.Beta(alpha, "alpha");
        Eps = OptimizerChecks.NonNegative(eps, "eps");
        WeightDecay = OptimizerChecks.NonNegative(weightDecay, "weight_decay");
        Momentum = OptimizerChecks.NonNegative(momentum, "momentum");
        Centered = centered;
    }

    /// <summary>Smoothing constant of the averages.</summary>
    public double Alpha { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public double Eps { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }
    /// <summary>Momentum factor (0: none).</summary>
    public double Momentum { get; }
    /// <summary>Normalises by the estimated variance rather than the raw second moment.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    public override string Name => "rmsprop";
    /// <inheritdoc/>
    public override bool UpdatesElementwise => true;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots
    {
        get
        {
            var slots = new List<SlotSpec> { new("square_avg", 0f) };
            if (Momentum > 0) slots.Add(new("momentum_buffer", 0f));
            if (Centered) slots.Add(new("grad_avg", 0f));
            return slots;
        }
    }
    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope s) => new Dictionary<string, Value> { ["lr"] = s.LearningRate };


    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars)
    {
        CheckState(param, state);
        var lr = Scalar(scalars, "lr", param);
        if (WeightDecay != 0) grad = grad + param * WeightDecay;
        var squareAvg = state[0] * Alpha + grad * grad * (1 - Alpha);
        var newState = new List<Value> { squareAvg };
        Value avg;
        Value? gradAvg = null;
        if (Centered)
        {
            gradAvg = state[^1] * Alpha + grad * (1 - Alpha);
            avg = Op.Sqrt(squareAvg - gradAvg * gradAvg) + Eps;
        }
        else avg = Op.Sqrt(squareAvg) + Eps;
        Value next;
        if (Momentum > 0)
        {
            var buf = state[1] * Momentum + grad / avg;
            newState.Add(buf);
            next = param - lr * buf;
        }
        else next = param - lr * (grad / avg);
        if (gradAvg is not null) newState.Add(gradAvg);
        return new(next, newState);
    }
}
