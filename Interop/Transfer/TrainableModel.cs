using OnnxKit.Init;
using OnnxKit.Interop.Import;
using OnnxKit.IR;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// An imported ONNX model as a trainable <see cref="Module"/>: its float initializers become parameters named as in
/// the file (PyTorch exports keep the state_dict names), BatchNormalization running statistics become buffers, and
/// its nodes are replayed into whatever graph the module is called in. In a training graph
/// (<see cref="GraphBuilder.Training"/>) Dropout drops and BatchNormalization normalises with the batch statistics and
/// updates its running statistics with PyTorch's rule; in every other graph both behave as at inference, so the
/// exported model is an ordinary inference graph. Layers appended with <see cref="Append"/> (e.g. a new classifier
/// head) run after the imported graph's output. Surgery (<see cref="Surgery"/>) returns new models; the file's
/// model is never changed.
/// </summary>
public sealed class TrainableModel : Module
{
    private readonly Dictionary<string, Parameter> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Initializer> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<Node> _untied = [];   // nodes replaced by parameters (tied copies, constants)
    private readonly List<(string Name, Module Layer)> _appended = [];
    private readonly Dictionary<string, RecoveredName> _recoverable;
    private readonly Dictionary<string, (Parameter Tensor, RecoveredName Name)> _recovered = new(StringComparer.Ordinal);   // by stored name
    private readonly Dictionary<string, RecoveredRecurrent> _recurrentRecoverable;
    private readonly Dictionary<string, (Parameter[] Parts, RecoveredRecurrent Name)> _recoveredRecurrent = new(StringComparer.Ordinal);   // by stored name

    /// <summary>The imported graph (after surgery), read-only by convention: replayed, never run as is.</summary>
    public OnnxModel Source { get; }
    /// <summary>Name of the imported graph's input the module's input is bound to.</summary>
    public string InputName { get; }
    /// <summary>Value of the imported graph the appended layers (or the caller) receive.</summary>
    public string OutputName { get; }
    /// <summary>Momentum in PyTorch's sense (weight of the batch statistic) of each BatchNormalization node, by running-mean name.</summary>
    public IReadOnlyDictionary<string, float> BatchNormMomentum => _momentum;
    private readonly Dictionary<string, float> _momentum = [];
    /// <summary>Layers run after <see cref="OutputName"/>, in order, with their names (their parameters are <c>name.weight</c> …).</summary>
    public IReadOnlyList<(string Name, Module Layer)> Appended => _appended;
    /// <summary>The name the imported graph gave its output (what an exported fine-tuned model is called again).</summary>
    public string ExportedOutputName { get; internal set; }
    /// <summary>
    /// The Softmax or LogSoftmax the imported graph applied to its output, set apart by
    /// <see cref="Surgery.SeparateOutputActivation"/> or <see cref="Surgery.ReplaceHead(TrainableModel, long, string?)"/>:
    /// training sees the logits, the exported model applies it again (<see cref="ExportedInterface"/>).
    /// </summary>
    public Node? OutputActivation { get; internal set; }
    /// <summary>Notes about the import a user should know (renamed or tied weights), one line each.</summary>
    public List<string> Report { get; } = [];

    /// <summary>Makes <paramref name="model"/> trainable (its first graph input is the module's input, its first output the result).</summary>
    /// <param name="model">The imported model (not modified).</param>
    /// <param name="outputName">The value the module returns (default: the first graph output).</param>
    /// <param name="constantsAsParameters">Float <c>Constant</c> nodes, by output name, that become parameters too ("*": all of them);
    /// by default constants stay constants.</param>
    public TrainableModel(OnnxModel model, string? outputName = null, IEnumerable<string>? constantsAsParameters = null)
    {
        Source = model;
        var graph = model.Graph;
        var initNames = graph.Initializers.Select(i => i.Name).ToHashSet();
        var realInputs = graph.Inputs.Where(i => !initNames.Contains(i.Name)).ToList();
        if (realInputs.Count != 1)
            throw new ArgumentException($"model '{graph.Name}' has {realInputs.Count} inputs ({string.Join(", ", realInputs.Select(i => i.Name))}); a trainable model needs exactly one (the batch)");
        InputName = realInputs[0].Name;
        OutputName = outputName ?? (graph.Outputs.Count > 0 ? graph.Outputs[0].Name : throw new ArgumentException($"model '{graph.Name}' has no output"));
        ExportedOutputName = graph.Outputs.Count > 0 ? graph.Outputs[0].Name : OutputName;
        if (graph.Producer(OutputName) is null && OutputName != InputName)
            throw new ArgumentException($"model '{graph.Name}' has no value '{OutputName}' computed by a node");

        // Control flow is replayed as plain operators (ControlFlow); a loop of unknown length cannot be.
        if (ControlFlowChecks.Unexpandable(model).FirstOrDefault() is ({ } control, { } why))
            throw new ArgumentException($"{control.Describe()} cannot be made trainable: {why}");
        _recoverable = ExporterNames.Recover(graph);
        _recurrentRecoverable = RecurrentWeightNames.Recover(graph);
        var buffers = new HashSet<string>();
        foreach (var n in graph.Nodes.Where(n => n.OpType == "BatchNormalization"))
        {
            if (n.Inputs.Count < 5) throw new ArgumentException($"{n.Describe()} has {n.Inputs.Count} inputs, expected 5 (x, scale, bias, mean, var)");
            buffers.Add(n.Inputs[3]); buffers.Add(n.Inputs[4]);
            _momentum[n.Inputs[3]] = 1f - n.GetFloat("momentum", 0.9f);
        }
        // PyTorch's exporter stores identical initializers once and recreates the others with Identity nodes
        // (e.g. every fresh BatchNorm's weight and running_var are ones). Each gets back its own copy, so they train apart.
        var byName = graph.Initializers.ToDictionary(i => i.Name);
        foreach (var n in graph.Nodes.Where(n => n.OpType == "Identity" && n.Inputs.Count == 1 && byName.TryGetValue(n.Inputs[0], out var i) && i.ElementType == ElementType.Float32))
        {
            _untied.Add(n);
            AddTensor(n.Outputs[0], byName[n.Inputs[0]], buffers.Contains(n.Outputs[0]));
        }
        if (_untied.Count > 0) Report.Add($"{_untied.Count} weights stored once by the exporter (Identity of a shared initializer) were given their own copies");
        foreach (var init in graph.Initializers)
        {
            if (init.ElementType == ElementType.Float32) AddTensor(init.Name, init, buffers.Contains(init.Name));
            else _constants[init.Name] = init;
        }
        var wanted = constantsAsParameters?.ToHashSet() ?? [];
        foreach (var n in graph.Nodes.Where(n => n.OpType == "Constant" && n.Domain.Length == 0 && (wanted.Contains("*") || wanted.Contains(n.Outputs[0]))))
        {
            if (n.GetTensor("value") is not { } t || (ElementType)t.DataType != ElementType.Float32)
            {
                if (wanted.Contains(n.Outputs[0])) throw new ArgumentException($"{n.Describe()}: only a float32 tensor constant can become a parameter");
                continue;
            }
            var proto = t.Clone();
            proto.Name = n.Outputs[0];
            _untied.Add(n);
            AddTensor(n.Outputs[0], new Initializer(proto), buffer: false);
            wanted.Remove(n.Outputs[0]);
        }
        wanted.Remove("*");
        if (wanted.Count > 0) throw new ArgumentException($"model '{graph.Name}' has no Constant node producing {string.Join(", ", wanted.Select(w => $"'{w}'"))}");
        var otherFloats = _constants.Values.Where(c => c.ElementType is ElementType.Float64 or ElementType.Float16 or ElementType.BFloat16).Select(c => c.Name).ToList();
        if (otherFloats.Count > 0)
            Report.Add($"{otherFloats.Count} initializers that are not float32 stay constant (not trained): {string.Join(", ", otherFloats.Take(5))}{(otherFloats.Count > 5 ? ", …" : "")}");
        if (_recovered.Count > 0)
            Report.Add($"{_recovered.Count} weights named onnx::… by the exporter got their state_dict names back from the module path of the node reading them: "
                + string.Join(", ", _recovered.Values.Select(r => $"{r.Name.StoredName} → {r.Name.StateDictName}{(r.Name.Kind == StoredAs.Transposed ? " (transposed back)" : " (as [C])")}")));
        if (_recoveredRecurrent.Count > 0)
            Report.Add($"{_recoveredRecurrent.Count} recurrent weights folded by the exporter (onnx::…) were split back into their state_dict parameters, gates in PyTorch's order: "
                + string.Join(", ", _recoveredRecurrent.Values.Select(r => $"{r.Name.StoredName} → {string.Join(" + ", r.Name.Parameters)}")));
        foreach (var name in _tensors.Keys.Where(k => k.StartsWith("onnx::", StringComparison.Ordinal)))
            Report.Add($"weight '{name}' has an exporter-generated name, not a state_dict name; it is saved under that name");
        if (FoldedBatchNorm.Detect(graph) is { } folded) Report.Add(folded);
        // A float initializer no output depends on differentiably (a threshold of a data-dependent If) has no gradient.
        var fixedWeights = TrainabilityReport.Analyze(model).Unreached
            .SelectMany(WeightsFor).Where(p => !p.IsBuffer).ToList();
        foreach (var p in fixedWeights) p.Trainable = false;
        if (fixedWeights.Count > 0)
            Report.Add($"{fixedWeights.Count} float initializers reach no output through differentiable operators and stay fixed: {string.Join(", ", fixedWeights.Take(5).Select(p => p.FullName))}");
    }

    private void AddTensor(string name, Initializer init, bool buffer)
    {
        if (!buffer && name == init.Name && _recurrentRecoverable.TryGetValue(name, out var rr))
        {
            var values = rr.ToParameters(init.ToFloatArray());
            var parts = rr.Parameters.Select((n, i) => _tensors[n] = AddParameter(n, rr.ParameterDims, new Fixed(values[i]))).ToArray();
            _recoveredRecurrent[name] = (parts, rr);
            return;
        }
        if (!buffer && name == init.Name && _recoverable.TryGetValue(name, out var r))
        {
            var recovered = AddParameter(r.StateDictName, r.ParameterDims, new Fixed(r.ToParameter(init.ToFloatArray())));
            _tensors[r.StateDictName] = recovered;
            _recovered[name] = (recovered, r);
            return;
        }
        var data = init.ToFloatArray();
        var p = buffer ? AddBuffer(name, init.Dims, new Fixed(data)) : AddParameter(name, init.Dims, new Fixed(data));
        _tensors[name] = p;
    }

    /// <summary>The weight a value of the imported graph reads (null for computed values); <paramref name="transposed"/> when it is stored transposed.</summary>
    internal Parameter? WeightFor(string valueName, out bool transposed)
    {
        transposed = false;
        if (!_recovered.TryGetValue(valueName, out var r)) return _tensors.GetValueOrDefault(valueName);
        transposed = r.Name.Kind == StoredAs.Transposed;
        return r.Tensor;
    }

    /// <summary>Every weight a value of the imported graph is made of: one, or the state_dict parameters of a folded recurrent weight (none for computed values).</summary>
    internal IEnumerable<Parameter> WeightsFor(string valueName) =>
        _recoveredRecurrent.TryGetValue(valueName, out var r) ? r.Parts : WeightFor(valueName, out _) is { } p ? [p] : [];

    /// <summary>True for nodes the module replaced by parameters (exporter Identity copies of shared weights, constants made trainable).</summary>
    internal bool IsReplaced(Node node) => _untied.Contains(node);

    /// <summary>The input type of the imported graph with its first dimension named <c>batch</c> where it is not fixed.</summary>
    public TensorType InputType
    {
        get
        {
            var info = Source.Graph.Inputs.First(i => i.Name == InputName);
            var t = TensorType.FromProto(info.Type) ?? throw new InvalidOperationException($"input '{InputName}' of model '{Source.Graph.Name}' declares no type");
            if (t.Shape is null || t.Shape.Rank == 0) return t;
            return new TensorType(t.ElementType, new Shape(t.Shape!.Select((d, i) => i == 0 && !d.IsKnown ? Dim.Sym("batch") : d)));
        }
    }

    /// <summary>The shape of one sample (the input shape without the batch dimension); every dimension must be known.</summary>
    public int[] SampleShape => InputType.Shape!.Skip(1).Select(d => d.IsKnown ? (int)d.Value!.Value
        : throw new InvalidOperationException($"input '{InputName}' has shape {InputType.Shape}; the sample dimensions must be known")).ToArray();

    /// <summary>The imported weights and buffers by name (appended layers not included).</summary>
    public IReadOnlyDictionary<string, Parameter> ImportedTensors => _tensors;

    /// <summary>Appends a layer after <see cref="OutputName"/> under <paramref name="name"/> (its weights become <c>name.weight</c>, …).</summary>
    internal TrainableModel Append(string name, Module layer)
    {
        if (_tensors.Keys.Any(k => k.StartsWith(name + ".", StringComparison.Ordinal)))
            throw new ArgumentException($"cannot append a layer named '{name}': the imported model already has weights under '{name}.'");
        Add(name, layer);
        _appended.Add((name, layer));
        return this;
    }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var g = x.Builder;
        var values = new Dictionary<string, Value>(StringComparer.Ordinal) { [InputName] = x };
        Value? Resolve(string name)
        {
            if (name.Length == 0) return null;
            if (values.TryGetValue(name, out var v)) return v;
            if (_recovered.TryGetValue(name, out var r))
                return values[name] = r.Name.Kind == StoredAs.Transposed ? Op.Transpose(r.Tensor.In(g), 1, 0) : Op.Reshape(r.Tensor.In(g), r.Name.StoredDims);
            if (_recoveredRecurrent.TryGetValue(name, out var rr)) return values[name] = rr.Name.Stored(g, rr.Parts);
            if (_tensors.TryGetValue(name, out var p)) return values[name] = p.In(g);
            if (_constants.TryGetValue(name, out var c))
                return values[name] = g.Has(name) ? g[name] : g.Initializer(c.ToInlineProto());
            throw new GraphBuildException($"model '{Source.Graph.Name}': value '{name}' is read before it is computed");
        }
        GraphReplay.Nodes(g, Source.Graph.Nodes.Where(n => !_untied.Contains(n)), values, Resolve, this);
        var y = Resolve(OutputName)!;
        foreach (var (_, layer) in _appended) y = layer.Call(y);
        return y;
    }

    /// <summary>An initializer that hands back the imported values.</summary>
    private sealed class Fixed(float[] data) : IInitializer
    {
        public float[] Create(long[] shape, Random rng) => (float[])data.Clone();
    }
}
