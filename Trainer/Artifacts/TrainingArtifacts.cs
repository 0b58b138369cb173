using System.Text.Json;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Training.Autodiff;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Optimizers;
using OnnxKit.IO;

namespace OnnxKit.Training.Artifacts;

/// <summary>
/// The training graphs of a model, built from a <see cref="Module"/>, a <see cref="Loss"/> and an
/// <see cref="Optimizer"/>: <c>train_step.onnx</c> (forward, loss, backward and update fused), <c>eval.onnx</c>,
/// <c>inference.onnx</c>, the initial state and the manifest that says how they fit together. Everything is
/// standard ONNX, so any ONNX Runtime binding can run the training loop.
/// </summary>
public sealed class TrainingArtifacts
{
    /// <summary>Feature input name.</summary>
    public const string InputName = "input";
    /// <summary>Target input name.</summary>
    public const string TargetName = "target";
    /// <summary>Model output name.</summary>
    public const string OutputName = "output";

    /// <summary>The fused train step.</summary>
    public required OnnxModel TrainStep { get; init; }
    /// <summary>Forward + loss, parameters and buffers as inputs.</summary>
    public required OnnxModel Eval { get; init; }
    /// <summary>Inference model (Dropout off, BatchNorm with running statistics), weights as initializers.</summary>
    public required OnnxModel Inference { get; init; }
    /// <summary>Split mode: forward + loss + backward, parameters and buffers as inputs; outputs loss, output, <c>&lt;param&gt;.grad</c> and next buffers.</summary>
    public required OnnxModel GradientsModel { get; init; }
    /// <summary>Split mode: the optimizer update alone (<see cref="Optimizers.OptimizerGraph"/>).</summary>
    public required OnnxModel OptimizerModel { get; init; }
    /// <summary>How the graphs fit together.</summary>
    public required Manifest Manifest { get; init; }
    /// <summary>Initial value of every state entry, by name.</summary>
    public required Dictionary<string, NamedTensor> InitialState { get; init; }

    /// <summary>Options of <see cref="Create(Module, TensorType, Loss, Optimizer, Options)"/>.</summary>
    public sealed record Options
    {
        /// <summary>Opset of the emitted graphs (default 17).</summary>
        public int Opset { get; init; } = 17;
        /// <summary>Append a Softmax to the inference model's output (for models trained on logits).</summary>
        public bool SoftmaxHead { get; init; }
        /// <summary>Metadata stored in the inference model (labels, normalisation, …).</summary>
        public Dictionary<string, string> Metadata { get; init; } = [];
        /// <summary>Name of the model graph.</summary>
        public string Name { get; init; } = "model";
    }

    /// <summary>Builds the artifacts for <paramref name="model"/> fed tensors of <paramref name="inputType"/> (first dimension the batch).</summary>
    /// <remarks>
    /// The model is built twice, once per behaviour: in training behaviour (Dropout on, BatchNorm on batch statistics)
    /// with its loss and gradients, from which <c>gradients.onnx</c> (gradients as outputs) and <c>train_step.onnx</c>
    /// (the optimizer update appended) are derived; in inference behaviour with its loss, which is <c>eval.onnx</c> and,
    /// cut down to the model output, <c>inference.onnx</c>. In the train step, Dropout masks are drawn from the
    /// optimizer's step counter (<see cref="StepSeededDropout"/>), so a checkpoint fixes them for a resumed run.
    /// </remarks>
    public static TrainingArtifacts Create(Module model, TensorType inputType, Loss loss, Optimizer optimizer, Options? options = null) =>
        Create(model, TrainingSignature.Single(inputType, loss), optimizer, options);

    /// <summary>
    /// Builds the artifacts for a model of any <paramref name="signature"/>: several named inputs of any element type, several
    /// outputs each trained with its own loss and weight (the total loss is their weighted sum). The batch inputs are the
    /// model's inputs followed by one target input per trained output; the graphs output <c>loss</c> and every model output by name.
    /// </summary>
    public static TrainingArtifacts Create(Module model, TrainingSignature signature, Optimizer optimizer, Options? options = null)
    {
        options ??= new Options();
        // ---- training behaviour: forward, loss and gradients, built once ----
        var g = new GraphBuilder("train_step", options.Opset) { Training = true };
        var ys = signature.Forward(model, g);
        // Layers size their weights from the first input they see, so the parameter list is complete only now.
        var trainable = model.Parameters().Where(p => p.Trainable && g.Has(p.FullName)).ToList();
        if (trainable.Count == 0)
            throw new InvalidOperationException(model.Parameters().Any(p => !p.IsBuffer)
                ? $"model '{options.Name}' has no trainable parameters: every weight is frozen"
                : $"model '{options.Name}' has no parameters to train");
        var (lossValue, targets) = signature.Loss(g, ys);
        var grads = Gradients.Differentiate(g, lossValue, trainable.Select(p => p.FullName), stopGradient: null, rewriteForward: !optimizer.ReadsForwardLayers);
        var buffers = model.Parameters().Where(p => p.IsBuffer && g.Has(p.FullName)).ToList();
        g.Output(lossValue, "loss");
        foreach (var o in signature.Outputs) g.Output(ys[o], o);
        foreach (var b in buffers) g.Output(NextBufferValue(g, b.FullName), b.FullName + ".next");
        var gradOutputs = trainable.Select(p => g.Output(grads[p.FullName], p.FullName + ".grad").Name).ToHashSet();
        var gradientsModel = DerivedGraphs.Copy(g.Build(), "gradients");

        // ---- the train step: the same graph, the gradients fed to the optimizer instead of leaving it ----
        g.Graph.Outputs.RemoveAll(o => gradOutputs.Contains(o.Name));
        // The batch gradients by default (clipped); DP-SGD replaces them with its per-example clipped, noised sum
        // (the batch gradients are then pruned from the train step).
        var clipped = optimizer.TrainingGradients(g, lossValue, trainable.Select(p => p.FullName).ToList(), grads);
        var step = optimizer.BeginStep(g);
        var state = new List<StateSpec>();
        var initial = new Dictionary<string, NamedTensor>();
        foreach (var p in trainable)
        {
            var pv = g[p.FullName];
            var slots = optimizer.Slots.Select(s => g.Input($"{p.FullName}.{s.Name}", pv.Type)).ToList();
            var upd = optimizer.Update(g, pv, clipped[p.FullName], slots, step.Scalars);
            g.Output(upd.NewParam, p.FullName + ".next");
            state.Add(Spec(p.FullName, "parameter", null, pv.Type));
            initial[p.FullName] = NamedTensor.FromFloats(p.FullName, p.Data, p.Shape);
            for (int k = 0; k < slots.Count; k++)
            {
                string slotName = slots[k].Name;
                g.Output(upd.NewState[k], slotName + ".next");
                state.Add(Spec(slotName, "optimizer", p.FullName, pv.Type));
                var fill = new float[p.Data.Length];
                Array.Fill(fill, optimizer.Slots[k].InitialValue);
                initial[slotName] = NamedTensor.FromFloats(slotName, fill, p.Shape);
            }
        }
        foreach (var b in buffers)
        {
            state.Add(Spec(b.FullName, "buffer", null, g[b.FullName].Type));
            initial[b.FullName] = NamedTensor.FromFloats(b.FullName, b.Data, b.Shape);
        }
        foreach (var st in step.State)
        {
            g.Output(st.Next, st.Name + ".next");
            state.Add(Spec(st.Name, "optimizer", null, st.Input.Type));
            initial[st.Name] = st.Initial;
        }
        var modelState = state.Where(s => s.Kind != "optimizer").Select(s => s.Name).ToList();
        StepSeededDropout.Apply(g, step.State[0].Input);
        var trainStep = g.Build();
        PromoteToInputs(trainStep.Graph, modelState);
        DerivedGraphs.Prune(trainStep.Graph);
        OutputIdentities.Remove(trainStep.Graph);
        PromoteToInputs(gradientsModel.Graph, modelState);
        OutputIdentities.Remove(gradientsModel.Graph);
        var optimizerModel = OptimizerGraph.Build(optimizer, trainable.Select(p => (p.FullName, p.Shape)).ToList());
        OutputIdentities.Remove(optimizerModel.Graph);

        // ---- inference behaviour: forward and loss, built once; inference.onnx is the forward part ----
        var ge = new GraphBuilder("eval", options.Opset);
        var ye = signature.Forward(model, ge);
        ge.Output(signature.Loss(ge, ye).Total, "loss");
        foreach (var o in signature.Outputs) ge.Output(ye[o], o);
        var eval = ge.Build();
        var inference = InferenceFromEval(eval, signature, options);
        PromoteToInputs(eval.Graph, modelState.Where(ge.Has));

        var manifest = new Manifest
        {
            BatchInputs = [.. signature.Inputs.Select(i => Spec(i.Name, i.Type)), .. targets.Select(t => Spec(t.Name, t.Type) with { TargetOf = t.Output })],
            Output = signature.Outputs[0],
            Outputs = signature.IsSingle ? null : [.. signature.Outputs],
            LossWeights = signature.IsSingle ? null : signature.Losses.ToDictionary(l => l.Output, l => l.Weight),
            StepScalars = [Optimizer.LearningRateName],
            State = state.ToArray(),
            LossFunction = string.Join(", ", signature.Losses.Select(l => l.Loss.Name).Distinct()),
            MinTrainingBatch = BatchNormOverSingleValues(model) is null ? 1 : 2,
            Gradients = "gradients.onnx",
            OptimizerGraph = "optimizer.onnx",
            Optimizer = new Dictionary<string, JsonElement>
            {
                ["name"] = JsonSerializer.SerializeToElement(optimizer.Name),
                ["lr"] = JsonSerializer.SerializeToElement(optimizer.LearningRate),
            },
        };
        return new TrainingArtifacts
        {
            TrainStep = trainStep, Eval = eval, Inference = inference, GradientsModel = gradientsModel, OptimizerModel = optimizerModel,
            Manifest = manifest, InitialState = initial,
        };
    }

    // The eval graph with its weights still initializers, cut down to the model output (and a Softmax head when asked).
    private static OnnxModel InferenceFromEval(OnnxModel eval, TrainingSignature signature, Options options)
    {
        var m = DerivedGraphs.Copy(eval, options.Name);
        m.Graph.Outputs.RemoveAll(o => !signature.Outputs.Contains(o.Name));
        DerivedGraphs.Prune(m.Graph, [.. signature.Inputs.Select(i => i.Name)]);
        if (options.SoftmaxHead)
        {
            CheckSoftmaxHead(signature);
            var producer = m.Graph.Producer("output")!;
            producer.Outputs[producer.Outputs.IndexOf("output")] = "logits";
            m.Graph.Nodes.Add(new Node("Softmax", ["logits"], ["output"], "softmax_head", attributes: [Attr.Int("axis", -1)]));
        }
        foreach (var kv in options.Metadata) m.Metadata[kv.Key] = kv.Value;
        return m;
    }

    /// <summary>The inference graph of <paramref name="model"/> with its current weights as initializers.</summary>
    public static OnnxModel BuildInference(Module model, TensorType inputType, Options? options = null) =>
        BuildInference(model, TrainingSignature.Untrained(inputType), options);

    /// <summary>The inference graph of a model of any <paramref name="signature"/> (all its inputs and outputs, by name) with its current weights.</summary>
    public static OnnxModel BuildInference(Module model, TrainingSignature signature, Options? options = null)
    {
        options ??= new Options();
        var gi = new GraphBuilder(options.Name, options.Opset);
        var ys = signature.Forward(model, gi);
        if (options.SoftmaxHead) CheckSoftmaxHead(signature);
        foreach (var o in signature.Outputs) gi.Output(options.SoftmaxHead ? Op.Softmax(ys[o], -1) : ys[o], o);
        var m = gi.Build();
        foreach (var kv in options.Metadata) m.Metadata[kv.Key] = kv.Value;
        return m;
    }

    private static void CheckSoftmaxHead(TrainingSignature signature)
    {
        if (signature.Outputs.Count != 1)
            throw new NotSupportedException($"a Softmax head is appended to a model of one output; this one has [{string.Join(", ", signature.Outputs)}]: put the Softmax in the model");
    }

    /// <summary>Writes the artifacts directory (each file atomically).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        TrainStep.Save(Path.Combine(directory, Manifest.TrainStep));
        Eval.Save(Path.Combine(directory, Manifest.Eval));
        Inference.Save(Path.Combine(directory, Manifest.Inference));
        if (Manifest.Gradients is not null) GradientsModel.Save(Path.Combine(directory, Manifest.Gradients));
        if (Manifest.OptimizerGraph is not null) OptimizerModel.Save(Path.Combine(directory, Manifest.OptimizerGraph));
        SafeTensors.Write(Path.Combine(directory, Manifest.Checkpoint), Manifest.State.Select(s => InitialState[s.Name]),
            new Dictionary<string, string> { ["step"] = "0" });
        AtomicFile.WriteAllText(Path.Combine(directory, "manifest.json"), Manifest.ToJson());
    }

    /// <summary>
    /// A buffer's value after a training-behaviour forward pass on <paramref name="g"/>: the layer's update (BatchNorm's
    /// running statistics), or the buffer unchanged where no training-mode layer updates it.
    /// </summary>
    internal static Value NextBufferValue(GraphBuilder g, string buffer) =>
        g.BufferUpdates.TryGetValue(buffer, out var u) ? u : Op.Identity(g[buffer]);

    /// <summary>Turns initializers into graph inputs (the train step receives its state as inputs).</summary>
    internal static void PromoteToInputs(Graph graph, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            var init = graph.FindInitializer(name) ?? throw new InvalidOperationException($"graph '{graph.Name}' has no initializer '{name}' to make an input");
            graph.Initializers.Remove(init);
            graph.Inputs.Add(new ValueInfoProto { Name = name, Type = init.Type.ToProto() });
        }
    }

    private static StateSpec Spec(string name, string kind, string? parameter, TensorType t) => new()
    {
        Name = name, Next = name + ".next", Kind = kind, Parameter = parameter, Type = t.ElementType.OnnxName(), Shape = t.Shape!.ToArray(),
    };

    private static TensorSpec Spec(string name, TensorType t) => new()
    {
        Name = name,
        Type = t.ElementType.OnnxName(),
        Shape = (t.Shape ?? Shape.Scalar).Select(d => d.IsKnown ? JsonSerializer.SerializeToElement(d.Value!.Value) : JsonSerializer.SerializeToElement(d.Symbol ?? "?")).ToArray(),
    };

    /// <summary>
    /// The first BatchNorm layer of <paramref name="model"/> (itself or a descendant) that gets one value per channel
    /// from each sample, as built into the last training graph; such a layer needs training batches of two or more.
    /// </summary>
    internal static OnnxKit.BatchNormNd? BatchNormOverSingleValues(Module model) =>
        ModulesOf(model).OfType<OnnxKit.BatchNormNd>().FirstOrDefault(b => b.ValuesPerChannelPerSample == 1);

    private static IEnumerable<Module> ModulesOf(Module m) => m.Children.SelectMany(c => ModulesOf(c.Module)).Prepend(m);
}
