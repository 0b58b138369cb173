using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>
/// A mutable ONNX graph: nodes (kept in topological order by the code that edits them), graph inputs and
/// outputs, initializers and value types. It reads and writes <c>GraphProto</c> losslessly: whatever it does
/// not model is kept and written back.
/// </summary>
public sealed class Graph
{
    /// <summary>Graph name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Documentation string.</summary>
    public string? DocString { get; set; }
    /// <summary>Nodes in topological order.</summary>
    public List<Node> Nodes { get; } = [];
    /// <summary>Graph inputs (their ONNX value-info messages).</summary>
    public List<ValueInfoProto> Inputs { get; } = [];
    /// <summary>Graph outputs.</summary>
    public List<ValueInfoProto> Outputs { get; } = [];
    /// <summary>Types of intermediate values known so far.</summary>
    public List<ValueInfoProto> ValueInfo { get; } = [];
    /// <summary>Constant tensors, in order.</summary>
    public List<Initializer> Initializers { get; } = [];
    /// <summary>Sparse constant tensors (kept as read).</summary>
    public List<SparseTensorProto> SparseInitializers { get; } = [];

    /// <summary>Fields of the graph message this IR does not model, kept for round trips.</summary>
    internal GraphProto? Extra { get; set; }

    /// <summary>The initializer of that name, or null.</summary>
    public Initializer? FindInitializer(string name) => Initializers.Find(i => i.Name == name);

    /// <summary>The node producing a value, or null for inputs, initializers and unknown names.</summary>
    public Node? Producer(string valueName) => Nodes.Find(n => n.Outputs.Contains(valueName));

    /// <summary>Every node reading a value.</summary>
    public IEnumerable<Node> Consumers(string valueName) => Nodes.Where(n => n.Inputs.Contains(valueName));

    /// <summary>Every value name defined in the graph: inputs, initializers and node outputs.</summary>
    public HashSet<string> DefinedNames()
    {
        var s = new HashSet<string>(Inputs.Select(i => i.Name));
        foreach (var i in Initializers) s.Add(i.Name);
        foreach (var n in Nodes) foreach (var o in n.Outputs) if (o.Length > 0) s.Add(o);
        return s;
    }

    /// <summary>Reads a graph message. <paramref name="baseDirectory"/> resolves external data (null: external data not allowed).</summary>
    public static Graph FromProto(GraphProto p, string? baseDirectory = null)
    {
        var g = new Graph { Name = p.Name, DocString = p.HasDocString ? p.DocString : null };
        foreach (var n in p.Node) { ExternalData.RefuseInAttributes(n, p.Name); TensorChecks.CheckAttributes(n); }
        g.Nodes.AddRange(p.Node.Select(Node.FromProto));
        g.Inputs.AddRange(p.Input.Select(v => v.Clone()));
        g.Outputs.AddRange(p.Output.Select(v => v.Clone()));
        g.ValueInfo.AddRange(p.ValueInfo.Select(v => v.Clone()));
        foreach (var t in p.Initializer)
        {
            if (t.DataLocation != TensorProto.Types.DataLocation.External) TensorChecks.CheckInline(t);
            g.Initializers.Add(ExternalData.Resolve(t, baseDirectory));
        }
        g.SparseInitializers.AddRange(p.SparseInitializer.Select(s => s.Clone()));
        var extra = p.Clone();
        extra.Node.Clear(); extra.Input.Clear(); extra.Output.Clear(); extra.ValueInfo.Clear();
        extra.Initializer.Clear(); extra.SparseInitializer.Clear();
        g.Extra = extra;
        return g;
    }

    /// <summary>Writes the graph message with all data inline (the model must be under 2 GB).</summary>
    public GraphProto ToProto() => ToProto(init => init.ToInlineProto());

    internal GraphProto ToProto(Func<Initializer, TensorProto> writeInitializer)
    {
        var p = Extra?.Clone() ?? new GraphProto();
        p.Node.Clear(); p.Node.AddRange(Nodes.Select(n => n.ToProto()));
        if (Name.Length > 0 || p.HasName) p.Name = Name;
        if (DocString is null) p.ClearDocString(); else p.DocString = DocString;
        p.Input.Clear(); p.Input.AddRange(Inputs.Select(v => v.Clone()));
        p.Output.Clear(); p.Output.AddRange(Outputs.Select(v => v.Clone()));
        p.ValueInfo.Clear(); p.ValueInfo.AddRange(ValueInfo.Select(v => v.Clone()));
        p.Initializer.Clear(); p.Initializer.AddRange(Initializers.Select(writeInitializer));
        p.SparseInitializer.Clear(); p.SparseInitializer.AddRange(SparseInitializers.Select(s => s.Clone()));
        return p;
    }

    /// <summary>
    /// Checks structural validity: every node input is defined before use (topological order), no value
    /// is defined twice, every graph output is defined. Throws <see cref="OnnxModelException"/> naming the fault.
    /// </summary>
    public void Validate(IEnumerable<string>? outerScopeNames = null)
    {
        var defined = new HashSet<string>(outerScopeNames ?? []);
        void Define(string name, string what)
        {
            if (name.Length == 0) return;
            if (!defined.Add(name)) throw new OnnxModelException($"graph '{Name}': value '{name}' is defined twice (again by {what})");
        }
        foreach (var i in Initializers) Define(i.Name, $"initializer '{i.Name}'");
        foreach (var i in Inputs)
            if (FindInitializer(i.Name) is null) Define(i.Name, $"graph input '{i.Name}'");
        foreach (var n in Nodes)
        {
            foreach (var inp in n.Inputs)
                if (inp.Length > 0 && !defined.Contains(inp))
                    throw new OnnxModelException(Producer(inp) is null
                        ? $"graph '{Name}': {n.Describe()} reads '{inp}', which no input, initializer or node defines"
                        : $"graph '{Name}': {n.Describe()} reads '{inp}' before it is computed (the graph has a cycle or is not in topological order)");
            foreach (var o in n.Outputs) Define(o, n.Describe());
        }
        foreach (var o in Outputs)
            if (!defined.Contains(o.Name)) throw new OnnxModelException($"graph '{Name}': output '{o.Name}' is not computed by any node");
    }
}

/// <summary>A model, graph or file that is not valid ONNX, or not what was expected; the message names what is wrong.</summary>
public class OnnxModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxModelException(string message, Exception? inner = null) : base(message, inner) { }
}
