using OnnxKit.IR;

namespace OnnxKit.Training.Artifacts;

/// <summary>An output trained with a loss: the target input it is compared with and its weight in the total loss.</summary>
/// <param name="Output">The model output.</param>
/// <param name="Loss">Its loss.</param>
/// <param name="Weight">Its weight in the total loss (Keras' <c>loss_weights</c>).</param>
/// <param name="TargetName">The batch input holding its targets.</param>
public sealed record OutputLoss(string Output, Loss Loss, double Weight, string TargetName);

/// <summary>
/// The batch interface of a model in training: its named inputs, its named outputs, and the outputs trained with a loss
/// (each with its target input and weight). A one-input model trained with one loss is the special case
/// <see cref="Single"/>: input <c>input</c>, output <c>output</c>, target <c>target</c>, weight 1.
/// </summary>
public sealed class TrainingSignature
{
    private readonly Func<Module, IReadOnlyDictionary<string, Value>, IReadOnlyDictionary<string, Value>> _forward;

    /// <summary>The model's inputs with their types (first dimension the batch), in graph order.</summary>
    public IReadOnlyList<(string Name, TensorType Type)> Inputs { get; }
    /// <summary>The model's outputs, in graph order.</summary>
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>The outputs trained with a loss.</summary>
    public IReadOnlyList<OutputLoss> Losses { get; }

    private TrainingSignature(IReadOnlyList<(string, TensorType)> inputs, IReadOnlyList<string> outputs, IReadOnlyList<OutputLoss> losses,
                              Func<Module, IReadOnlyDictionary<string, Value>, IReadOnlyDictionary<string, Value>> forward)
    {
        Inputs = inputs; Outputs = outputs; Losses = losses; _forward = forward;
    }

    /// <summary>True for the one-input, one-output, one-loss case (the graph names <c>input</c>, <c>output</c>, <c>target</c>).</summary>
    public bool IsSingle => Inputs.Count == 1 && Outputs.Count == 1 && Losses.Count == 1 && Inputs[0].Name == TrainingArtifacts.InputName;

    private static IReadOnlyDictionary<string, Value> OneToOne(Module m, IReadOnlyDictionary<string, Value> x) =>
        new Dictionary<string, Value> { [TrainingArtifacts.OutputName] = m.Call(x[TrainingArtifacts.InputName]) };

    /// <summary>A module of one input (<paramref name="inputType"/>) and one output trained with <paramref name="loss"/>.</summary>
    public static TrainingSignature Single(TensorType inputType, Loss loss) =>
        new([(TrainingArtifacts.InputName, inputType)], [TrainingArtifacts.OutputName], [new OutputLoss(TrainingArtifacts.OutputName, loss, 1, TrainingArtifacts.TargetName)], OneToOne);

    /// <summary>A module of one input and one output with no loss (for inference graphs).</summary>
    public static TrainingSignature Untrained(TensorType inputType) =>
        new([(TrainingArtifacts.InputName, inputType)], [TrainingArtifacts.OutputName], [], OneToOne);

    /// <summary>
    /// A functional model trained with a loss per output (Keras' <c>compile(loss={…}, loss_weights={…})</c>): outputs without
    /// a loss are computed but not trained on; a weight defaults to 1. Output <c>o</c>'s targets are the batch input <c>o.target</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No loss, a loss or weight for an output the model does not have, or a negative or non-finite weight.</exception>
    public static TrainingSignature For(FunctionalModel model, IReadOnlyDictionary<string, Loss> losses, IReadOnlyDictionary<string, double>? lossWeights = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(losses);
        string outputs = $"[{string.Join(", ", model.Outputs)}]";
        if (losses.Count == 0) throw new ArgumentException($"give a loss for at least one of the model's outputs {outputs}", nameof(losses));
        if (losses.Keys.FirstOrDefault(k => !model.Outputs.Contains(k)) is { } unknown)
            throw new ArgumentException($"a loss is given for output '{unknown}', but the model's outputs are {outputs}", nameof(losses));
        lossWeights ??= new Dictionary<string, double>();
        if (lossWeights.Keys.FirstOrDefault(k => !losses.ContainsKey(k)) is { } unweighted)
            throw new ArgumentException($"a loss weight is given for '{unweighted}', which has no loss (losses are given for [{string.Join(", ", losses.Keys)}])", nameof(lossWeights));
        if (lossWeights.FirstOrDefault(w => !(double.IsFinite(w.Value) && w.Value >= 0)) is { Key: not null } badWeight)
            throw new ArgumentException($"the loss weight of '{badWeight.Key}' is {badWeight.Value}; weights must be finite and non-negative", nameof(lossWeights));
        var heads = model.Outputs.Where(losses.ContainsKey)
            .Select(o => new OutputLoss(o, losses[o], lossWeights.GetValueOrDefault(o, 1.0), TargetNameOf(o))).ToArray();
        if (model.Inputs.Select(i => i.Name).Intersect(heads.Select(h => h.TargetName)).FirstOrDefault() is { } clash)
            throw new ArgumentException($"input '{clash}' has the name of a target input; rename the input", nameof(model));
        return new(model.Inputs.Select(i => (i.Name, i.Type)).ToArray(), model.Outputs, heads, (m, x) => ((FunctionalModel)m).Forward(x));
    }

    /// <summary>The name of the batch input holding output <paramref name="output"/>'s targets in a multi-output model.</summary>
    public static string TargetNameOf(string output) => output + ".target";

    /// <summary>Declares the inputs in <paramref name="g"/> and builds the model on them: the outputs by name.</summary>
    internal IReadOnlyDictionary<string, Value> Forward(Module model, GraphBuilder g)
    {
        var inputs = Inputs.ToDictionary(i => i.Name, i => g.Input(i.Name, i.Type));
        return _forward(model, inputs);
    }

    /// <summary>Declares the target inputs and emits the total loss, Σ weight × loss (the loss itself for one weight-1 loss); also returns the target types.</summary>
    internal (Value Total, List<(string Name, TensorType Type, string Output)> Targets) Loss(GraphBuilder g, IReadOnlyDictionary<string, Value> outputs)
    {
        Value? total = null;
        var targets = new List<(string, TensorType, string)>();
        foreach (var head in Losses)
        {
            var y = outputs[head.Output];
            var targetType = head.Loss.TargetType(y.Type);
            targets.Add((head.TargetName, targetType, head.Output));
            var l = head.Loss.Compute(y, g.Input(head.TargetName, targetType));
            if (head.Weight != 1) l = l * head.Weight;
            total = total is null ? l : total + l;
        }
        return (total!, targets);
    }
}
