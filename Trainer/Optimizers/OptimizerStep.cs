using OnnxKit.IR;

namespace OnnxKit.Training.Optimizers;

/// <summary>
/// What the per-step scalar formulas of an optimizer read, inside the graph: the learning rate (graph input
/// <c>lr</c>), the 1-based number of the step being taken (from the step-counter state) and the optimizer's shared
/// scalar state. Values are float64 scalars so that bias corrections such as 1 − β₂ᵗ keep their precision far into
/// training; <see cref="Optimizer.BeginStep"/> rounds the results to float32 once.
/// </summary>
public sealed class StepScalarScope
{
    internal StepScalarScope(GraphBuilder graph, Value learningRate, Value step, IReadOnlyList<Value> shared)
    {
        Graph = graph; LearningRate = learningRate; Step = step; Shared = shared;
        NextShared = shared.ToArray();
    }

    /// <summary>The graph under construction.</summary>
    public GraphBuilder Graph { get; }
    /// <summary>The learning rate of this step (float64 scalar).</summary>
    public Value LearningRate { get; }
    /// <summary>The 1-based number of the step being taken (float64 scalar).</summary>
    public Value Step { get; }
    /// <summary>The current values of <see cref="Optimizer.SharedSlots"/> (float32 scalars, in that order).</summary>
    public IReadOnlyList<Value> Shared { get; }
    /// <summary>The values of <see cref="Optimizer.SharedSlots"/> after this step; each starts as the current value (carried unchanged).</summary>
    public Value[] NextShared { get; }

    /// <summary>A float64 scalar constant.</summary>
    public Value Constant(double value) => Graph.Scalar(value, ElementType.Float64);

    /// <summary><paramref name="b"/> to the power <paramref name="exponent"/>, in float64.</summary>
    public Value Pow(double b, Value exponent) => Op.Pow(Constant(b), exponent);
}

/// <summary>
/// The start of one optimizer step inside a graph, as <see cref="Optimizer.BeginStep"/> emits it: the scalars the
/// update reads (float32) and the optimizer-wide state to carry to the next step.
/// </summary>
/// <param name="Scalars">The step scalars by name, for <see cref="Optimizer.Update"/>.</param>
/// <param name="State">The optimizer-wide state: graph input name, its value after this step, and its initial value.</param>
public sealed record OptimizerStep(IReadOnlyDictionary<string, Value> Scalars, IReadOnlyList<OptimizerStateEntry> State);

/// <summary>One optimizer-wide scalar state tensor (the step counter, NAdam's μ product).</summary>
/// <param name="Name">Graph input name; the next value leaves the graph as <c>Name.next</c>.</param>
/// <param name="Input">The value read this step.</param>
/// <param name="Next">The value after this step.</param>
/// <param name="Initial">Its value before the first step.</param>
public sealed record OptimizerStateEntry(string Name, Value Input, Value Next, Checkpoints.NamedTensor Initial);
