namespace OnnxKit.Training.Optimizers;

/// <summary>
/// Adagrad (<c>torch.optim.Adagrad</c>, PyTorch 1.13): the squared gradients are summed per element and divide the step.
/// The decayed learning rate lr / (1 + (t − 1)·lr_decay) is the step scalar <c>clr</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates the optimizer; the arguments and defaults are PyTorch's.</summary>
    public Adagrad(double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10) : base(lr)
    {
        LrDecay = OptimizerChecks.NonNegative(lrDecay, "lr_decay");
        WeightDecay = OptimizerChecks.NonNegative(weightDecay, "weight_decay");
        InitialAccumulatorValue = OptimizerChecks.NonNegative(initialAccumulatorValue, "initial_accumulator_value");
        Eps = OptimizerChecks.NonNegative(eps, "eps");
    }

    /// <summary>Learning-rate decay per step.</summary>
    public double LrDecay { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }
    /// <summary>Initial value of the sum of squares.</summary>
    public double InitialAccumulatorValue { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public double Eps { get; }

    /// <inheritdoc/>
    public override string Name => "adagrad";
    /// <inheritdoc/>
    public override bool UpdatesElementwise => true;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots => [new("sum", (float)InitialAccumulatorValue)];
    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope s) =>
        new Dictionary<string, Value> { ["clr"] = s.LearningRate / (1.0 + (s.Step - 1.0) * LrDecay) };

    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars)
    {
        CheckState(param, state);
        if (WeightDecay != 0) grad = grad + param * WeightDecay;
        var sum = state[0] + grad * grad;
        var std = Op.Sqrt(sum) + Eps;
        return new(param - Scalar(scalars, "clr", param) * (grad / std), [sum]);
    }
}
