using OnnxKit.IR;

namespace OnnxKit.Training.Optimizers;

/// <summary>A per-parameter state tensor of an optimizer (same shape and type as the parameter) and its initial fill value.</summary>
/// <param name="Name">Slot name, e.g. <c>exp_avg</c>; graph values are named <c>&lt;param&gt;.&lt;slot&gt;</c>.</param>
/// <param name="InitialValue">The value every element starts with (PyTorch's initial state).</param>
public sealed record SlotSpec(string Name, float InitialValue);

/// <summary>The update of one parameter: its next value and the next content of each of its slots (in <see cref="Optimizer.Slots"/> order).</summary>
/// <param name="NewParam">The parameter after this step.</param>
/// <param name="NewState">The slots after this step.</param>
public sealed record ParamUpdate(Value NewParam, IReadOnlyList<Value> NewState);

/// <summary>
/// An optimizer written as ONNX nodes. The graph holds the update rule and the fixed hyper-parameters as constants;
/// the learning rate is the one per-step graph input (<c>lr</c>, so a schedule stays on the host), and everything else
/// that changes from step to step (bias corrections, first-step flags) is computed in the graph from a step counter
/// kept in the optimizer state (<see cref="StepCounterName"/>). The graphs are therefore self-contained: any ONNX
/// Runtime binding trains with them by feeding the batch and the learning rate.
/// </summary>
public abstract class Optimizer
{
    private readonly double? _clipNorm, _clipValue;

    /// <summary>Validates and stores the base learning rate.</summary>
    protected Optimizer(double lr)
    {
        LearningRate = OptimizerChecks.Positive(lr, "lr");
    }

    /// <summary>The base learning rate (a schedule scales or overrides it per step on the host).</summary>
    public double LearningRate { get; }

    /// <summary>Clips the global L2 norm of all gradients together to this value in the graph (as <c>torch.nn.utils.clip_grad_norm_</c>); null for none.</summary>
    public double? ClipGradNorm
    {
        get => _clipNorm;
        init => _clipNorm = value is null ? null : OptimizerChecks.Positive(value.Value, nameof(ClipGradNorm));
    }

    /// <summary>Clamps every gradient element to [−v, v] in the graph (as <c>torch.nn.utils.clip_grad_value_</c>); null for none. Applied before norm clipping when both are set.</summary>
    public double? ClipGradValue
    {
        get => _clipValue;
        init => _clipValue = value is null ? null : OptimizerChecks.Positive(value.Value, nameof(ClipGradValue));
    }

    /// <summary>Short name (e.g. <c>adam</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The per-parameter state tensors, in the order <see cref="Update"/> reads and writes them.</summary>
    public abstract IReadOnlyList<SlotSpec> Slots { get; }

    /// <summary>Name of the learning-rate graph input (a float32 scalar), the only value fed per step besides the batch.</summary>
    public const string LearningRateName = "lr";

    /// <summary>Name of the step-counter state (an int64 scalar: the number of steps taken so far).</summary>
    public const string StepCounterName = "optimizer.step";

    /// <summary>
    /// Optimizer-wide float32 scalar state besides the step counter (e.g. NAdam's product of momentum factors), stored
    /// as <c>optimizer.&lt;name&gt;</c>; none by default.
    /// </summary>
    public virtual IReadOnlyList<SlotSpec> SharedSlots => [];

    /// <summary>
    /// Emits, in the graph, the scalars <see cref="Update"/> reads for this step (e.g. <c>update_scale</c>) from the
    /// learning rate and the step number, and sets <see cref="StepScalarScope.NextShared"/> where the shared state changes.
    /// </summary>
    protected abstract IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope step);

    /// <summary>
    /// Declares, in <paramref name="g"/>, the learning-rate input and the optimizer-wide state inputs (step counter,
    /// <see cref="SharedSlots"/>), and emits this step's scalars (rounded to float32 once) and the next state.
    /// Call once per graph, before <see cref="Update"/> for each parameter.
    /// </summary>
    public OptimizerStep BeginStep(GraphBuilder g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var lr = g.Input(LearningRateName, ElementType.Float32);
        var counter = g.Input(StepCounterName, ElementType.Int64);
        var shared = SharedSlots.Select(s => g.Input($"optimizer.{s.Name}", ElementType.Float32)).ToList();
        using var scope = g.Scope("step_scalars");
        var nextCounter = counter + g.Scalar(1, ElementType.Int64);
        var ctx = new StepScalarScope(g, Op.Cast(lr, ElementType.Float64), Op.Cast(nextCounter, ElementType.Float64), shared);
        var scalars = StepScalars(ctx).ToDictionary(kv => kv.Key,
            kv => kv.Value.ElementType == ElementType.Float32 ? kv.Value : Op.Cast(kv.Value, ElementType.Float32));
        var state = new List<OptimizerStateEntry>
        {
            new(StepCounterName, counter, nextCounter, new Checkpoints.NamedTensor(StepCounterName, ElementType.Int64, [], new byte[8])),
        };
        for (int i = 0; i < SharedSlots.Count; i++)
        {
            string name = $"optimizer.{SharedSlots[i].Name}";
            state.Add(new(name, shared[i], ctx.NextShared[i], Checkpoints.NamedTensor.FromFloats(name, [SharedSlots[i].InitialValue], [])));
        }
        return new OptimizerStep(scalars, state);
    }

    /// <summary>
    /// True when <see cref="Update"/> computes each element of the new parameter and slots from the same element of the
    /// parameter, gradient and slots (and the step scalars) alone, so the update of a tensor can be cut into element
    /// ranges computed apart (<see cref="Session.TrainingSessionOptions.BatchThreads"/> does). False by default.
    /// </summary>
    public virtual bool UpdatesElementwise => false;

    /// <summary>Emits the update of one parameter.</summary>
    /// <param name="g">The graph under construction.</param>
    /// <param name="param">The current parameter.</param>
    /// <param name="grad">Its gradient (already clipped).</param>
    /// <param name="state">Its slots, in <see cref="Slots"/> order.</param>
    /// <param name="scalars">The step scalars by name (float32 scalars; cast to the parameter's type here where it differs).</param>
    public abstract ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars);

    /// <summary>
    /// Applies <see cref="ClipGradValue"/> then <see cref="ClipGradNorm"/> to all gradients at once (called by the trainer
    /// before <see cref="Update"/>) and returns the clipped gradients by name; unchanged when neither is set.
    /// Norm clipping follows PyTorch 1.13: total = ‖(‖g₁‖, ‖g₂‖, …)‖, every gradient scaled by min(1, max / (total + 1e-6)).
    /// </summary>
    public IReadOnlyDictionary<string, Value> ClipGradients(GraphBuilder g, IReadOnlyDictionary<string, Value> grads)
    {
        var result = new Dictionary<string, Value>(grads);
        if (ClipGradValue is { } v)
            foreach (var (name, grad) in grads) result[name] = Op.Clip(grad, -v, v);
        if (ClipGradNorm is { } max && result.Count > 0)
        {
            var type = grads.Values.First().ElementType;
            // Typed explicitly: the result is a scalar of the gradients' type, whatever the op surface's inference knows.
            var scalarType = new TensorType(type, Shape.Scalar);
            var sumSquares = result.Values.Select(x => g.Node("ReduceSumSquare", [x], 1, [Attr.Int("keepdims", 0)], outputTypes: [scalarType])[0]).ToArray();
            var total = Op.Sqrt(sumSquares.Length == 1 ? sumSquares[0] : Op.Sum(sumSquares));
            var coef = Op.Min(g.Scalar(max, type) / (total + g.Scalar(1e-6, type)), g.Scalar(1.0, type));
            foreach (var name in grads.Keys) result[name] = result[name] * coef;
        }
        return result;
    }

    // True for an optimizer whose TrainingGradients reads the model's layers from the forward graph (DP-SGD's per-example
    // rules): the batch gradients are then built without rewriting forward nodes into the forms their gradients prefer.
    internal virtual bool ReadsForwardLayers => false;

    /// <summary>
    /// The gradients <see cref="Update"/> consumes in the fused train step: by default <paramref name="batchGradients"/>
    /// (the autodiff gradients of <paramref name="loss"/> with respect to <paramref name="parameters"/>) after
    /// <see cref="ClipGradients"/>. An optimizer that needs more of the graph than the batch gradient (DP-SGD's
    /// per-example clipping and noise) overrides it; nodes it leaves unused are pruned from the step.
    /// </summary>
    public virtual IReadOnlyDictionary<string, Value> TrainingGradients(GraphBuilder g, Value loss, IReadOnlyList<string> parameters,
        IReadOnlyDictionary<string, Value> batchGradients) => ClipGradients(g, batchGradients);

    /// <summary>Lets a wrapping optimizer (DP-SGD) emit the step scalars of the optimizer it wraps.</summary>
    internal IReadOnlyDictionary<string, Value> StepScalarsOf(StepScalarScope step) => StepScalars(step);

    /// <summary>Tensor inputs of the train step that the host writes before every step (none by default).</summary>
    public virtual IReadOnlyList<HostStepInput> HostInputs => [];

    /// <summary>A constant of the parameter's element type.</summary>
    protected static Value Const(Value like, double value) => like.Builder.Scalar(value, like.ElementType);

    /// <summary>The step scalar <paramref name="name"/>, cast to the element type of <paramref name="like"/> where it differs.</summary>
    protected Value Scalar(IReadOnlyDictionary<string, Value> scalars, string name, Value like)
    {
        if (!scalars.TryGetValue(name, out var s))
            throw new ArgumentException($"optimizer '{Name}' needs the step scalar '{name}', which was not given (given: [{string.Join(", ", scalars.Keys)}]; BeginStep makes them)", nameof(scalars));
        return s.ElementType == like.ElementType ? s : Op.Cast(s, like.ElementType);
    }

    /// <summary>Checks that the state list has one tensor per slot.</summary>
    protected void CheckState(Value param, IReadOnlyList<Value> state)
    {
        if (state.Count != Slots.Count)
            throw new ArgumentException($"optimizer '{Name}' for parameter '{param.Name}': expected {Slots.Count} state tensors ({string.Join(", ", Slots.Select(s => s.Name))}), got {state.Count}", nameof(state));
    }
}
