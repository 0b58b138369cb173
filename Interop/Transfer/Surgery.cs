using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// Transfer-learning surgery on imported models: make trainable, freeze, cut the graph at a value, replace the
/// classifier head, append layers. Methods that change the graph return a new <see cref="TrainableModel"/> carrying
/// the current weights and frozen flags; <see cref="OnnxModel"/>s passed in are never modified.
/// </summary>
public static class Surgery
{
    /// <summary>The model as a trainable module (every float initializer a parameter, BatchNorm statistics buffers).</summary>
    /// <param name="model">The imported model (not modified).</param>
    /// <param name="constantsAsParameters">Float <c>Constant</c> nodes (by output name, or "*" for all) that become parameters too.</param>
    public static TrainableModel MakeTrainable(this OnnxModel model, IEnumerable<string>? constantsAsParameters = null) => new(model, constantsAsParameters: constantsAsParameters);

    /// <summary>Makes the model trainable and replaces its classifier head (see <see cref="ReplaceHead(TrainableModel, long, string?)"/>).</summary>
    public static TrainableModel ReplaceHead(this OnnxModel model, long units, string? name = null) => model.MakeTrainable().ReplaceHead(units, name);

    /// <summary>Makes the model trainable and freezes part of it (see <see cref="Freeze(TrainableModel, IEnumerable{string}?, string?, string?)"/>).</summary>
    public static TrainableModel Freeze(this OnnxModel model, IEnumerable<string>? names = null, string? prefix = null, string? upTo = null) =>
        model.MakeTrainable().Freeze(names, prefix, upTo);

    /// <summary>
    /// Freezes imported weights: those named in <paramref name="names"/>, those whose name starts with
    /// <paramref name="prefix"/> (a module path such as <c>layer1</c> matches <c>layer1.conv1.weight</c>), and every
    /// weight read by the nodes up to and including <paramref name="upTo"/> — a node name, a value name or a module
    /// path (<c>layer3</c>: up to the last node of <c>layer3</c>). Buffers are never trained; appended layers stay trainable.
    /// </summary>
    public static TrainableModel Freeze(this TrainableModel model, IEnumerable<string>? names = null, string? prefix = null, string? upTo = null)
    {
        var tensors = model.ImportedTensors;
        foreach (var name in names ?? [])
        {
            if (!tensors.TryGetValue(name, out var p))
                throw new ArgumentException($"cannot freeze '{name}': the model has no weight of that name (it has {Sample(tensors.Keys)})");
            p.Trainable = false;
        }
        if (prefix is not null)
        {
            string dotted = prefix.EndsWith('.') ? prefix : prefix + ".";
            var hits = tensors.Values.Where(p => p.FullName.StartsWith(dotted, StringComparison.Ordinal) || p.FullName == prefix).ToList();
            if (hits.Count == 0) throw new ArgumentException($"cannot freeze prefix '{prefix}': no weight name starts with it (weights: {Sample(tensors.Keys)})");
            foreach (var p in hits) p.Trainable = false;
        }
        if (upTo is not null)
        {
            var nodes = model.Source.Graph.Nodes;
            int last = LastNodeOf(nodes, upTo);
            // The exporter's Identity copies of shared weights stand at the top of the graph; they are not computation.
            var read = nodes.Take(last + 1).Where(n => !model.IsReplaced(n)).SelectMany(n => n.Inputs).ToHashSet();
            // A weight untied from a shared initializer is read under its own name.
            foreach (var value in read)
                foreach (var p in model.WeightsFor(value)) p.Trainable = false;
        }
        return model;
    }

    private static int LastNodeOf(List<Node> nodes, string upTo)
    {
        // PyTorch names nodes by module path: /layer3/conv1/Conv.
        string path = "/" + upTo.Replace('.', '/') + "/";
        for (int i = nodes.Count - 1; i >= 0; i--)
        {
            var n = nodes[i];
            if (n.Name == upTo || n.Outputs.Contains(upTo) || n.Name.StartsWith(path, StringComparison.Ordinal)
                || n.Inputs.Any(x => x.StartsWith(upTo + ".", StringComparison.Ordinal) && n.OpType != "Identity"))
                return i;
        }
        throw new ArgumentException($"cannot freeze up to '{upTo}': no node, value or module path of that name in the model");
    }

    /// <summary>
    /// Cuts the imported graph at value <paramref name="valueName"/>: it becomes the output, and the nodes and
    /// weights only the rest needed are dropped. Append layers afterwards with <see cref="Append"/>.
    /// </summary>
    public static TrainableModel CutAt(this TrainableModel model, string valueName)
    {
        if (model.Appended.Count > 0) throw new InvalidOperationException($"cut the imported graph before appending layers (appended: {string.Join(", ", model.Appended.Select(a => a.Name))})");
        var src = model.Source;
        var graph = src.Graph;
        if (valueName != model.InputName && graph.Producer(valueName) is null)
            throw new ArgumentException($"cannot cut at '{valueName}': no node of model '{graph.Name}' computes a value of that name");
        // Keep the nodes the new output depends on (walking back from it).
        var (keep, needed) = GraphStructure.NeededFor(graph, [valueName]);
        var copy = new OnnxModel { IrVersion = src.IrVersion, ProducerName = src.ProducerName, ProducerVersion = src.ProducerVersion };
        foreach (var kv in src.Opsets) copy.Opsets[kv.Key] = kv.Value;
        foreach (var kv in src.Metadata) copy.Metadata[kv.Key] = kv.Value;
        var g = new Graph { Name = graph.Name };
        g.Nodes.AddRange(keep.Select(n => Node.FromProto(n.ToProto())));
        g.Inputs.AddRange(graph.Inputs.Where(i => i.Name == model.InputName).Select(i => i.Clone()));
        g.Initializers.AddRange(graph.Initializers.Where(i => needed.Contains(i.Name)).Select(i => new Initializer(i.ToInlineProto())));
        g.Outputs.Add(graph.ValueInfo.Concat(graph.Outputs).FirstOrDefault(v => v.Name == valueName)?.Clone() ?? new ValueInfoProto { Name = valueName });
        copy.Graph = g;
        var constants = keep.Where(n => n.OpType == "Constant" && model.ImportedTensors.ContainsKey(n.Outputs[0])).Select(n => n.Outputs[0]).ToList();
        var result = new TrainableModel(copy, constantsAsParameters: constants) { Seed = model.Seed };
        // Carry the current values and frozen flags (the model may have been trained already).
        foreach (var (name, p) in result.ImportedTensors)
            if (model.ImportedTensors.TryGetValue(name, out var old)) { p.Data = old.Data; p.Trainable = old.Trainable; }
        result.Report.AddRange(model.Report.Except(result.Report));
        return result;
    }

    /// <summary>
    /// Replaces the classifier head: the final fully connected layer (a <c>Gemm</c>, or <c>MatMul</c> + <c>Add</c>,
    /// possibly followed by Softmax/LogSoftmax/Identity) is removed and a new <see cref="Dense"/> of
    /// <paramref name="units"/> outputs reads its input. The new layer is named <paramref name="name"/>, by default
    /// the removed layer's module name (<c>fc</c> for <c>fc.weight</c>), so the weights load into a PyTorch module
    /// whose head was replaced the same way (<c>model.fc = nn.Linear(in, units)</c>).
    /// </summary>
    public static TrainableModel ReplaceHead(this TrainableModel model, long units, string? name = null)
    {
        var graph = model.Source.Graph;
        var node = graph.Producer(model.OutputName) ?? throw new ArgumentException($"model '{graph.Name}': the output '{model.OutputName}' is not computed by a node");
        Node? activation = model.OutputActivation;
        while (node.OpType is "Softmax" or "LogSoftmax" or "Identity" or "Add" && !(node.OpType == "Add" && IsLinear(graph, node)))
        {
            if (node.OpType is "Softmax" or "LogSoftmax") activation ??= node;
            node = graph.Producer(node.Inputs[0]) ?? throw new ArgumentException($"{node.Describe()}: no fully connected layer before the output");
        }
        string weightName; bool transposed; string featureValue;
        if (node.OpType == "Gemm")
        {
            weightName = node.Inputs[1];
            transposed = node.GetInt("transB", 0) == 1;
            if (node.GetInt("transA", 0) != 0) throw new ArgumentException($"{node.Describe()}: a head with transA=1 is not supported");
            featureValue = node.Inputs[0];
        }
        else if (node.OpType == "Add" && IsLinear(graph, node))
        {
            // torch writes the bias first (Add(bias, MatMul(x, W))) where it folded the Linear over a 3-D input.
            var mm = graph.Producer(node.Inputs[0]) is { OpType: "MatMul" } first ? first : graph.Producer(node.Inputs[1])!;
            weightName = mm.Inputs[1]; transposed = false; featureValue = mm.Inputs[0];
            var producer = graph.Producer(weightName);
            // torch writes Linear over a 3-D input as MatMul(x, Transpose(W)) — the state_dict weight is the Transpose's input.
            if (producer is { OpType: "Transpose" }) { weightName = producer.Inputs[0]; transposed = true; }
        }
        else throw new ArgumentException($"model '{graph.Name}': the output comes from {node.Describe()}, not a fully connected layer (Gemm or MatMul+Add); cut the graph with CutAt and Append a layer instead");
        if (model.WeightFor(weightName, out bool storedTransposed) is not { } w || w.Shape.Length != 2)
            throw new ArgumentException($"{node.Describe()}: the head weight '{weightName}' is not a 2-D imported weight");
        // A MatMul weight given back its state_dict name is [out, in] like a Gemm one with transB.
        if (storedTransposed) { transposed = true; weightName = w.FullName; }
        long inFeatures = transposed ? w.Shape[1] : w.Shape[0];
        name ??= weightName.EndsWith(".weight", StringComparison.Ordinal) ? weightName[..^".weight".Length] : "head";
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), units, "the new head needs at least one unit");
        var cut = model.CutAt(featureValue);
        cut.ExportedOutputName = model.ExportedOutputName;
        cut.OutputActivation = activation;
        return cut.Append(name, new Dense(units, inFeatures: inFeatures));
    }

    private static bool IsLinear(Graph graph, Node add) =>
        add.Inputs.Count == 2 && add.Inputs.Any(i => graph.Producer(i)?.OpType == "MatMul");

    /// <summary>
    /// Sets apart a Softmax or LogSoftmax that computes the model's output: the returned model outputs the logits it
    /// reads (what a loss on logits needs) and keeps the activation in <see cref="TrainableModel.OutputActivation"/>
    /// for the exported model. A model without one is returned as it is.
    /// </summary>
    public static TrainableModel SeparateOutputActivation(this TrainableModel model)
    {
        if (model.Appended.Count > 0 || model.OutputActivation is not null) return model;
        if (model.Source.Graph.Producer(model.OutputName) is not { OpType: "Softmax" or "LogSoftmax" } activation || activation.Domain is not ("" or "ai.onnx")) return model;
        var result = new TrainableModel(model.Source, outputName: activation.Inputs[0]) { Seed = model.Seed };
        foreach (var (name, p) in result.ImportedTensors)
            if (model.ImportedTensors.TryGetValue(name, out var old)) { p.Data = old.Data; p.Trainable = old.Trainable; }
        result.ExportedOutputName = model.ExportedOutputName;
        result.OutputActivation = activation;
        return result;
    }

    /// <summary>Appends a layer (e.g. a new head) after the imported graph's output, named <paramref name="name"/>.</summary>
    public static TrainableModel Append(this TrainableModel model, string name, Module layer) => model.Append(name, layer);

    private static string Sample(IEnumerable<string> names)
    {
        var list = names.Take(6).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list) + (names.Skip(6).Any() ? ", …" : "");
    }
}
