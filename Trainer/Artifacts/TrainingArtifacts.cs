using System.Text.Json;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Training.Autodiff;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Optimizers;

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

    /// <summary>Options of <see cref="Create"/>.</summary>
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
    public static TrainingArtifacts Create(Module model, TensorType inputType, Loss loss, Optimizer optimizer, Options? options = null)
    {
        options ??= new Options();
        // ---- train step ----
        var g = new GraphBuilder("train_step", options.Opset) { Training = true };
        var x = g.Input(InputName, inputType);
        var y = model.Call(x);
        // Layers size their weights from the first input they see, so the parameter list is complete only now.
        var trainable = model.Parameters().Where(p => p.Trainable && g.Has(p.FullName)).ToList();
        if (trainable.Count == 0)
            throw new InvalidOperationException(model.Parameters().Any(p => !p.IsBuffer)
                ? $"model '{options.Name}' has no trainable parameters: every weight is frozen"
                : $"model '{options.Name}' has no parameters to train");
        var target = g.Input(TargetName, loss.TargetType(y.Type));
        var lossValue = loss.Compute(y, target);
        var grads = Gradients.Build(g, lossValue, trainable.Select(p => p.FullName));
        grads = optimizer.ClipGradients(g, grads);
        var scalars = optimizer.StepScalars.ToDictionary(s => s, s => g.Input(s, ElementType.Float32));
        var state = new List<StateSpec>();
        var initial = new Dictionary<string, NamedTensor>();
        var outputs = new List<(Value Value, string Name)>();
        foreach (var p in trainable)
        {
            var pv = g[p.FullName];
            var slots = optimizer.Slots.Select(s => g.Input($"{p.FullName}.{s.Name}", pv.Type)).ToList();
            var upd = optimizer.Update(g, pv, grads[p.FullName], slots, scalars);
            outputs.Add((upd.NewParam, p.FullName + ".next"));
            state.Add(Spec(p.FullName, "parameter", null, pv.Type));
            initial[p.FullName] = NamedTensor.FromFloats(p.FullName, p.Data, p.Shape);
            for (int k = 0; k < slots.Count; k++)
            {
                string slotName = slots[k].Name;
                outputs.Add((upd.NewState[k], slotName + ".next"));
                state.Add(Spec(slotName, "optimizer", p.FullName, pv.Type));
                var fill = new float[p.Data.Length];
                Array.Fill(fill, optimizer.Slots[k].InitialValue);
                initial[slotName] = NamedTensor.FromFloats(slotName, fill, p.Shape);
            }
        }
        foreach (var b in model.Parameters().Where(p => p.IsBuffer && g.Has(p.FullName)))
        {
            var bv = g[b.FullName];
            // A buffer no training-mode layer updates is carried unchanged.
            var next = g.BufferUpdates.TryGetValue(b.FullName, out var u) ? u : Op.Identity(bv);
            outputs.Add((next, b.FullName + ".next"));
            state.Add(Spec(b.FullName, "buffer", null, bv.Type));
            initial[b.FullName] = NamedTensor.FromFloats(b.FullName, b.Data, b.Shape);
        }
        g.Output(lossValue, "loss");
        g.Output(y, "output");
        foreach (var (v, name) in outputs) g.Output(v, name);
        PromoteToInputs(g.Graph, state.Where(s => s.Kind != "optimizer").Select(s => s.Name));
        var trainStep = g.Build();
        OutputIdentities.Remove(trainStep.Graph);

        // ---- eval: same forward in inference behaviour, parameters and buffers as inputs ----
        var ge = new GraphBuilder("eval", options.Opset);
        var ye = model.Call(ge.Input(InputName, inputType));
        var le = loss.Compute(ye, ge.Input(TargetName, loss.TargetType(ye.Type)));
        ge.Output(le, "loss");
        ge.Output(ye, "output");
        PromoteToInputs(ge.Graph, state.Where(s => s.Kind != "optimizer" && ge.Has(s.Name)).Select(s => s.Name));
        var eval = ge.Build();

        // ---- split mode: gradients alone (to accumulate or all-reduce), then the optimizer graph ----
        var gg = new GraphBuilder("gradients", options.Opset) { Training = true };
        var yg = model.Call(gg.Input(InputName, inputType));
        var lg = loss.Compute(yg, gg.Input(TargetName, loss.TargetType(yg.Type)));
        var gradsOnly = Gradients.Build(gg, lg, trainable.Select(p => p.FullName));
        gg.Output(lg, "loss");
        gg.Output(yg, "output");
        foreach (var p in trainable) gg.Output(gradsOnly[p.FullName], p.FullName + ".grad");
        foreach (var sp in state.Where(s => s.Kind == "buffer"))
            gg.Output(gg.BufferUpdates.TryGetValue(sp.Name, out var bu) ? bu : Op.Identity(gg[sp.Name]), sp.Next);
        PromoteToInputs(gg.Graph, state.Where(s => s.Kind != "optimizer").Select(s => s.Name));
        var gradientsModel = gg.Build();
        OutputIdentities.Remove(gradientsModel.Graph);
        var optimizerModel = OptimizerGraph.Build(optimizer, trainable.Select(p => (p.FullName, p.Shape)).ToList());
        OutputIdentities.Remove(optimizerModel.Graph);

        var inference = BuildInference(model, inputType, options);

        var manifest = new Manifest
        {
            BatchInputs = [Spec(InputName, inputType), Spec(TargetName, loss.TargetType(y.Type))],
            StepScalars = optimizer.StepScalars.ToArray(),
            State = state.ToArray(),
            LossFunction = loss.Name,
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

    /// <summary>The inference graph of <paramref name="model"/> with its current weights as initializers.</summary>
    public static OnnxModel BuildInference(Module model, TensorType inputType, Options? options = null)
    {
        options ??= new Options();
        var gi = new GraphBuilder(options.Name, options.Opset);
        var yi = model.Call(gi.Input(InputName, inputType));
        if (options.SoftmaxHead) yi = Op.Softmax(yi, -1);
        gi.Output(yi, "output");
        var m = gi.Build();
        foreach (var kv in options.Metadata) m.Metadata[kv.Key] = kv.Value;
        return m;
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

/// <summary>Write-then-rename file writing, so readers never see a half-written file.</summary>
public static class AtomicFile
{
    /// <summary>Writes text atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        string tmp = path + $".tmp{Environment.ProcessId}";
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }
}
