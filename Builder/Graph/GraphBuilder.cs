using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

/// <summary>
/// Builds (or extends) an ONNX graph from typed symbolic <see cref="Value"/>s. Every node is type- and
/// shape-checked as it is added (see <see cref="ShapeInference"/>), so a mistake such as a dense layer fed an
/// image without flattening fails here, naming the node, rather than later inside a runtime.
/// </summary>
public sealed class GraphBuilder
{
    private readonly Dictionary<string, Value> _values = [];
    private readonly Dictionary<string, Value> _constantCache = [];
    private readonly Dictionary<string, TensorProto> _constantData = [];
    private readonly Dictionary<string, Shapes.ShapeEntry[]> _shapeValues = [];
    private readonly HashSet<string> _nodeNames = [];
    private readonly Stack<string> _scopes = new();
    private int _counter;

    /// <summary>The model being built.</summary>
    public OnnxModel Model { get; }

    /// <summary>The graph being built.</summary>
    public Graph Graph => Model.Graph;

    /// <summary>The standard-domain opset emitted (default 17).</summary>
    public int Opset => (int)Model.Opset;

    /// <summary>
    /// True while building a training graph: layers emit their training behaviour (Dropout active, BatchNorm
    /// using batch statistics and emitting updated running statistics).
    /// </summary>
    public bool Training { get; set; }

    /// <summary>Running-statistic updates emitted in training mode: buffer name → value holding its next content.</summary>
    public Dictionary<string, Value> BufferUpdates { get; } = [];

    /// <summary>Starts an empty graph.</summary>
    public GraphBuilder(string name, int opset = 17)
    {
        Model = new OnnxModel { IrVersion = IrVersionFor(opset), ProducerName = "OnnxKit", ProducerVersion = typeof(GraphBuilder).Assembly.GetName().Version?.ToString(3) };
        Model.Opsets[""] = opset;
        Model.Graph.Name = name;
    }

    private GraphBuilder(OnnxModel model) { Model = model; }

    /// <summary>The ONNX IR version that goes with an opset (ONNX's release table).</summary>
    public static long IrVersionFor(int opset) => opset switch
    {
        <= 8 => 3, <= 10 => 5, <= 11 => 6, <= 14 => 7, <= 18 => 8, <= 20 => 9, 21 => 10, _ => 11,
    };

    /// <summary>
    /// Opens an existing model for extension (new nodes, losses, gradients). The types of its values are
    /// inferred node by node; values that no rule can infer keep the types the file declares, else unknown.
    /// </summary>
    public static GraphBuilder Attach(OnnxModel model)
    {
        var b = new GraphBuilder(model);
        var declared = model.Graph.Inputs.Concat(model.Graph.ValueInfo).Concat(model.Graph.Outputs)
            .GroupBy(v => v.Name).ToDictionary(g => g.Key, g => TensorType.FromProto(g.First().Type));
        foreach (var init in model.Graph.Initializers)
        {
            b._values[init.Name] = new Value(b, init.Name, init.Type);
            if (init.DataSource is null && (init.ElementCount <= 64)) b._constantData[init.Name] = init.Proto;
        }
        foreach (var inp in model.Graph.Inputs)
            if (!b._values.ContainsKey(inp.Name))
                b._values[inp.Name] = new Value(b, inp.Name, declared.GetValueOrDefault(inp.Name) ?? new TensorType(ElementType.Undefined, null));
        foreach (var n in model.Graph.Nodes)
        {
            if (n.Name.Length > 0) b._nodeNames.Add(n.Name);
            var inputs = n.Inputs.Select(i => i.Length == 0 ? null : b._values.TryGetValue(i, out var v) ? v.Type
                : throw new GraphBuildException($"{n.Describe()} reads '{i}', which is not defined before it")).ToArray();
            TensorType?[] outs;
            try { outs = ShapeInference.Infer(b, n, inputs); }
            catch (GraphBuildException) { outs = new TensorType?[n.Outputs.Count]; }
            for (int k = 0; k < n.Outputs.Count; k++)
            {
                var name = n.Outputs[k];
                if (name.Length == 0) continue;
                var t = Merge(outs.ElementAtOrDefault(k), declared.GetValueOrDefault(name));
                b._values[name] = new Value(b, name, t);
            }
            if (n.OpType == "Constant" && n.Domain.Length == 0 && Shapes.Generation.ConstantTensor(n) is { } ct) b._constantData[n.Outputs[0]] = ct;
        }
        return b;
    }

    private static TensorType Merge(TensorType? inferred, TensorType? declared)
    {
        if (inferred is null) return declared ?? new TensorType(ElementType.Undefined, null);
        if (declared is null) return inferred;
        var et = inferred.ElementType != ElementType.Undefined ? inferred.ElementType : declared.ElementType;
        var shape = inferred.Shape ?? declared.Shape;
        if (inferred.Shape is not null && declared.Shape is not null && inferred.Shape.Rank == declared.Shape.Rank)
            // An inferred number or symbol is derived from the graph's inputs (e.g. "batch"); a declared symbol is only an
            // exporter's label for this one value, so it fills in only where inference knows nothing.
            shape = new Shape(inferred.Shape.Select((d, i) => !d.IsUnknown ? d : declared.Shape[i]));
        return new TensorType(et, shape);
    }

    /// <summary>Declares a graph input.</summary>
    public Value Input(string name, ElementType type, params Dim[] shape) => Input(name, new TensorType(type, new Shape(shape)));

    /// <summary>Declares a graph input of a given type.</summary>
    public Value Input(string name, TensorType type)
    {
        CheckNewName(name, "graph input");
        var v = new Value(this, name, type);
        _values[name] = v;
        Graph.Inputs.Add(new ValueInfoProto { Name = name, Type = type.ToProto() });
        return v;
    }

    /// <summary>Marks a value as a graph output, under <paramref name="name"/> when given (an Identity node renames it).</summary>
    public Value Output(Value value, string? name = null)
    {
        Own(value, "Output");
        if (name is not null && name != value.Name)
            value = Node("Identity", [value], name: null, outputNames: [name])[0];
        if (Graph.Outputs.Any(o => o.Name == value.Name)) throw new GraphBuildException($"'{value.Name}' is already a graph output");
        // An element type no rule could infer is left out rather than written as 0 (UNDEFINED), which
        // runtimes reject ("Invalid tensor data type 0"); without a type, the runtime infers it.
        var info = new ValueInfoProto { Name = value.Name };
        if (value.Type.ElementType != ElementType.Undefined) info.Type = value.Type.ToProto();
        Graph.Outputs.Add(info);
        return value;
    }

    /// <summary>The value of that name (an input, initializer or node output).</summary>
    public Value this[string name] => _values.TryGetValue(name, out var v) ? v
        : throw new GraphBuildException($"graph '{Graph.Name}' has no value named '{name}'");

    /// <summary>True when a value of that name exists.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>Adds an initializer (a weight, bias or buffer) and returns its value; an existing one of the same name is returned as is.</summary>
    public Value Initializer(Initializer init)
    {
        if (_values.TryGetValue(init.Name, out var existing))
        {
            if (Graph.FindInitializer(init.Name) is null) throw new GraphBuildException($"cannot add initializer '{init.Name}': a value of that name already exists");
            return existing;
        }
        CheckNewName(init.Name, "initializer");
        Graph.Initializers.Add(init);
        var v = new Value(this, init.Name, init.Type);
        _values[init.Name] = v;
        if (init.DataSource is null && init.ElementCount <= 64) _constantData[init.Name] = init.Proto;
        return v;
    }

    /// <summary>Adds an initializer from a tensor message.</summary>
    public Value Initializer(TensorProto tensor) => Initializer(new Initializer(tensor));

    /// <summary>A scalar constant (rank 0) of the given element type; identical constants are shared.</summary>
    public Value Scalar(double value, ElementType type = ElementType.Float32) => Constant(TensorData.Scalar("", type, value));

    /// <summary>A 1-D int64 constant (axes, shapes, pads).</summary>
    public Value Int64s(params long[] values) => Constant(TensorData.FromInt64s("", values, values.Length));

    /// <summary>A constant tensor, emitted as a <c>Constant</c> node (shared when identical constants are asked for again).</summary>
    public Value Constant(TensorProto tensor)
    {
        var t = tensor.Clone();
        t.ClearName();
        string key = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Google.Protobuf.MessageExtensions.ToByteArray(t)));
        if (_constantCache.TryGetValue(key, out var cached)) return cached;
        var v = Node("Constant", [], attributes: [Attr.Tensor("value", t)], outputNames: [UniqueName("const")])[0];
        _constantCache[key] = v;
        return v;
    }

    // The content of small int64 values computed from shapes (Shape → Gather → Concat …), entry by entry: numbers or
    // symbols such as "batch". Recorded by the shape rules so that Reshape(x, [batch, -1]) keeps its sizes.
    internal Shapes.ShapeEntry[]? ShapeValue(string valueName) => _shapeValues.GetValueOrDefault(valueName);

    internal void RecordShapeValue(string valueName, Shapes.ShapeEntry[] entries) => _shapeValues[valueName] = entries;

    /// <summary>The constant content of a value (a <c>Constant</c> node or small initializer), or null when it is computed.</summary>
    public TensorProto? ConstantValue(string valueName) => _constantData.GetValueOrDefault(valueName);

    /// <summary>A name not used yet in this graph, built from <paramref name="hint"/> and the current name scope.</summary>
    public string UniqueName(string hint)
    {
        string prefix = _scopes.Count > 0 ? string.Join("/", _scopes.Reverse()) + "/" : "";
        string baseName = prefix + hint;
        string name = baseName;
        while (_values.ContainsKey(name) || _nodeNames.Contains(name)) name = $"{baseName}_{++_counter}";
        return name;
    }

    /// <summary>Opens a name scope (node and value names get the prefix <c>scope/</c>) until disposed.</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new ScopeExit(_scopes);
    }

    private sealed class ScopeExit(Stack<string> stack) : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { stack.Pop(); _done = true; } }
    }

    /// <summary>Adds one node with a single output and returns it.</summary>
    public Value Node1(string opType, IReadOnlyList<Value?> inputs, params AttributeProto[] attributes) =>
        Node(opType, inputs, 1, attributes)[0];

    /// <summary>
    /// Adds a node and returns its outputs, typed by <see cref="ShapeInference"/>. This is also the escape hatch
    /// for operators the <see cref="Op"/> surface lacks: any standard operator by name, or any operator of a
    /// custom <paramref name="domain"/> (give <paramref name="outputTypes"/> where no shape rule knows it).
    /// </summary>
    /// <param name="opType">Operator type.</param>
    /// <param name="inputs">Inputs; null for an omitted optional input.</param>
    /// <param name="outputs">Number of outputs.</param>
    /// <param name="attributes">Attributes.</param>
    /// <param name="domain">Operator domain ("" for the standard set); a custom domain is imported at version 1 unless already imported.</param>
    /// <param name="name">Node name (made unique); default op type in the current scope.</param>
    /// <param name="outputNames">Output value names; default made from the node name.</param>
    /// <param name="outputTypes">Types of the outputs, where no rule infers them (custom ops).</param>
    public Value[] Node(string opType, IReadOnlyList<Value?> inputs, int outputs = 1, IEnumerable<AttributeProto>? attributes = null,
        string domain = "", string? name = null, IReadOnlyList<string>? outputNames = null, IReadOnlyList<TensorType>? outputTypes = null)
    {
        foreach (var i in inputs) if (i is not null) Own(i, opType);
        if (outputNames is not null) outputs = outputNames.Count;
        string nodeName = name is not null ? UniqueNodeName(name) : UniqueName(opType);
        _nodeNames.Add(nodeName);
        var outNames = new List<string>();
        for (int k = 0; k < outputs; k++)
        {
            string o = outputNames?[k] ?? (outputs == 1 ? nodeName : $"{nodeName}:{k}");
            if (outputNames is not null)
            {
                CheckNewName(o, $"output of {opType} node '{nodeName}'");
                if (outNames.Contains(o)) throw new GraphBuildException($"{opType} node '{nodeName}' names two of its outputs '{o}' (value names must be unique)");
            }
            else if (_values.ContainsKey(o)) o = UniqueName(o);
            outNames.Add(o);
        }
        var node = new Node(opType, inputs.Select(i => i?.Name ?? ""), outNames, nodeName, domain, attributes);
        if (domain.Length > 0 && domain != "ai.onnx" && !Model.Opsets.ContainsKey(domain)) Model.Opsets[domain] = 1;
        TensorType?[] types = outputTypes is not null ? outputTypes.ToArray<TensorType?>() : ShapeInference.Infer(this, node, inputs.Select(i => i?.Type).ToArray());
        Graph.Nodes.Add(node);
        var result = new Value[outputs];
        for (int k = 0; k < outputs; k++)
        {
            var v = new Value(this, outNames[k], types.ElementAtOrDefault(k) ?? new TensorType(ElementType.Undefined, null));
            _values[outNames[k]] = v;
            result[k] = v;
        }
        if (opType == "Constant" && domain.Length == 0 && Shapes.Generation.ConstantTensor(node) is { } ct) _constantData[outNames[0]] = ct;
        return result;
    }

    /// <summary>
    /// The value of output <paramref name="index"/> of an existing node, naming (and typing) that optional output
    /// first when the node does not produce it yet. Autodiff uses it to reuse what a forward node computes anyway
    /// (MaxPool's indices, LayerNormalization's mean, Dropout's mask) instead of recomputing it.
    /// </summary>
    internal Value NodeOutput(Node node, int index)
    {
        if (index < node.Outputs.Count && node.Outputs[index].Length > 0) return this[node.Outputs[index]];
        while (node.Outputs.Count <= index) node.Outputs.Add("");
        string name = UniqueName($"{(node.Name.Length > 0 ? node.Name : node.OpType)}:{index}");
        node.Outputs[index] = name;
        TensorType? type = null;
        try { type = ShapeInference.Infer(this, node, node.Inputs.Select(i => i.Length == 0 ? null : this[i].Type).ToArray()).ElementAtOrDefault(index); }
        catch (GraphBuildException) { }
        var v = new Value(this, name, type ?? new TensorType(ElementType.Undefined, null));
        _values[name] = v;
        return v;
    }

    /// <summary>Ensures the model imports at least <paramref name="version"/> of a domain (for operators newer than the default opset).</summary>
    public void RequireOpset(string domain, int version)
    {
        if (!Model.Opsets.TryGetValue(domain, out var v) || v < version)
        {
            Model.Opsets[domain] = version;
            if (domain.Length == 0) Model.IrVersion = Math.Max(Model.IrVersion, IrVersionFor(version));
        }
    }

    /// <summary>Finishes: validates the graph structure and returns the model.</summary>
    public OnnxModel Build()
    {
        if (Graph.Outputs.Count == 0) throw new GraphBuildException($"graph '{Graph.Name}' has no outputs; mark at least one with Output(value)");
        Graph.Validate();
        return Model;
    }

    private string UniqueNodeName(string name)
    {
        string n = name; int k = 0;
        while (_nodeNames.Contains(n) || _values.ContainsKey(n)) n = $"{name}_{++k}";
        return n;
    }

    private void CheckNewName(string name, string what)
    {
        if (string.IsNullOrEmpty(name)) throw new GraphBuildException($"a {what} needs a non-empty name");
        if (_values.ContainsKey(name)) throw new GraphBuildException($"cannot add {what} '{name}': graph '{Graph.Name}' already has a value of that name (value names must be unique)");
    }

    private void Own(Value v, string user)
    {
        if (!ReferenceEquals(v.Builder, this))
            throw new GraphBuildException($"{user}: value '{v.Name}' belongs to graph '{v.Builder.Graph.Name}', not to '{Graph.Name}'");
    }
}
