using OnnxKit.IR;

namespace OnnxKit.Interop.Import;

/// <summary>
/// What an upgrade rule sees while it rewrites one node: the node, the types of the original model's values, and
/// helpers to emit the small constant and reshaping nodes a rewrite needs just before the node.
/// </summary>
internal sealed class UpgradeContext
{
    private readonly List<Node> _emitted;
    private readonly List<Node> _after = [];
    private readonly HashSet<string> _names;
    private readonly Func<string, TensorType?> _typeOf;
    private readonly List<string> _changes;
    private int _counter;

    internal UpgradeContext(Graph graph, List<Node> emitted, HashSet<string> names, Func<string, TensorType?> typeOf, List<string> changes, long fromOpset)
    {
        Graph = graph; _emitted = emitted; _names = names; _typeOf = typeOf; _changes = changes; FromOpset = fromOpset;
        Node = null!;
    }

    /// <summary>The graph being upgraded.</summary>
    public Graph Graph { get; }

    /// <summary>The node being rewritten (rules edit it in place).</summary>
    public Node Node { get; internal set; }

    /// <summary>The standard-domain opset the model was written for.</summary>
    public long FromOpset { get; }

    /// <summary>The type of a value as inferred on the original model (or declared by it), or null.</summary>
    public TensorType? TypeOf(string value) => value.Length == 0 ? null : _typeOf(value);

    /// <summary>The rank of a value, or null when it is unknown.</summary>
    public int? RankOf(string value) => TypeOf(value)?.Rank;

    /// <summary>A value or node name not used anywhere in the graph yet.</summary>
    public string NewName(string hint)
    {
        string baseName = $"{(Node.Name.Length > 0 ? Node.Name : Node.Outputs.FirstOrDefault() ?? Node.OpType)}/{hint}";
        string name = baseName;
        while (!_names.Add(name)) name = $"{baseName}_{++_counter}";
        return name;
    }

    /// <summary>Emits a node just before the one being rewritten.</summary>
    public Node Emit(string opType, IEnumerable<string> inputs, string hint, params Schema.AttributeProto[] attributes)
    {
        string output = NewName(hint);
        var n = new Node(opType, inputs, [output], name: output, attributes: attributes);
        _emitted.Add(n);
        return n;
    }

    /// <summary>Emits a node just after the one being rewritten (it reads the node's outputs).</summary>
    public void EmitAfter(Node n) => _after.Add(n);

    /// <summary>The nodes emitted after the current node since the last call (taken by the upgrader).</summary>
    internal List<Node> TakeAfter() { var l = _after.ToList(); _after.Clear(); return l; }

    /// <summary>Emits a 1-D int64 <c>Constant</c> and returns its value name.</summary>
    public string Int64s(string hint, IEnumerable<long> values)
    {
        var v = values.ToArray();
        return Emit("Constant", [], hint, Attr.Tensor("value", TensorData.FromInt64s("", v, v.Length))).Outputs[0];
    }

    /// <summary>Emits a scalar <c>Constant</c> of an element type and returns its value name.</summary>
    public string Scalar(string hint, ElementType type, double value) =>
        Emit("Constant", [], hint, Attr.Tensor("value", TensorData.Scalar("", type, value))).Outputs[0];

    /// <summary>The element type of input <paramref name="i"/> where known, else float32 (what exporters of old opsets wrote).</summary>
    public ElementType FloatTypeOfInput(int i) =>
        TypeOf(Node.Inputs[i]) is { ElementType: var t } && t != ElementType.Undefined ? t : ElementType.Float32;

    /// <summary>Moves an int-list attribute to input position <paramref name="index"/> as an int64 constant (absent attribute: empty input).</summary>
    public void IntsAttributeToInput(string attribute, int index, IEnumerable<long>? whenAbsent = null)
    {
        var values = Node.GetInts(attribute) ?? whenAbsent?.ToArray();
        Node.Remove(attribute);
        SetInput(index, values is null ? "" : Int64s(attribute, values));
    }

    /// <summary>Sets input <paramref name="index"/>, padding omitted optional inputs before it with empty names.</summary>
    public void SetInput(int index, string value)
    {
        while (Node.Inputs.Count <= index) Node.Inputs.Add("");
        Node.Inputs[index] = value;
        while (Node.Inputs.Count > 0 && Node.Inputs[^1].Length == 0) Node.Inputs.RemoveAt(Node.Inputs.Count - 1);
    }

    /// <summary>Records a change for the import report.</summary>
    public void Note(string what) => _changes.Add($"{Node.Describe()}: {what}");

    /// <summary>An exception naming the node and why it cannot be upgraded.</summary>
    public OnnxModelException Fail(string why) =>
        new($"graph '{Graph.Name}': cannot upgrade {Node.Describe()} from opset {FromOpset}: {why}");
}
