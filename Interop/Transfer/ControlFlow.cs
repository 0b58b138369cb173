using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// Control flow of an imported graph replayed as plain operators, so that the gradient rules of those operators
/// differentiate it: <c>If</c> computes both branches and selects with <c>Where</c> (the gradient reaches both
/// branches, masked by the condition; the condition itself is not differentiated), <c>Loop</c> with a constant trip
/// count and <c>Scan</c> over sequences of a length known when the graph is built are unrolled step by step. A loop
/// whose number of steps is decided at run time cannot be unrolled; <see cref="WhyNotExpandable"/> says why, in
/// the words the trainability report and the importer both use.
/// </summary>
internal static class ControlFlow
{
    /// <summary>Replays a subgraph's nodes with its inputs bound; returns its outputs in order.</summary>
    public delegate Value[] BodyReplay(Graph body, IReadOnlyDictionary<string, Value> bound);

    public static bool HasSubgraph(Node n) => n.Attributes.Any(a => a.Type is AttributeProto.Types.AttributeType.Graph or AttributeProto.Types.AttributeType.Graphs);

    public static Graph Body(Node n, string attribute) =>
        n.Attribute(attribute)?.G is { } g ? Graph.FromProto(g) : throw new ArgumentException($"{n.Describe()} has no '{attribute}' subgraph");

    /// <summary>Why <paramref name="n"/> cannot be replayed as plain operators; null when it can.</summary>
    /// <param name="n">A node holding subgraphs.</param>
    /// <param name="constant">The constant value of an outer value (null when computed at run time).</param>
    /// <param name="shape">The static shape of an outer value (null when unknown).</param>
    public static string? WhyNotExpandable(Node n, Func<string, double[]?> constant, Func<string, Shape?> shape)
    {
        if (n.Domain is not ("" or "ai.onnx")) return $"operator '{n.Domain}.{n.OpType}' holds a subgraph OnnxKit cannot expand";
        switch (n.OpType)
        {
            case "If":
                return null;
            case "Loop":
            {
                if (n.Inputs.Count == 0 || n.Inputs[0].Length == 0 || constant(n.Inputs[0]) is not [var m])
                    return "its trip count is not a constant, so the number of steps is not known when the training graph is built";
                if (n.Inputs.Count > 1 && n.Inputs[1].Length > 0 && constant(n.Inputs[1]) is not [not 0.0])
                    return "its initial condition is computed at run time, so it may run no step at all";
                var body = Body(n, "body");
                if (!ContinuesAlways(body))
                    return "its body computes its own continuation condition, so it may stop before its trip count";
                if (m < 1 && body.Outputs.Count > n.Inputs.Count - 1)
                    return "it runs no step but has scan outputs (of unknown shape)";
                return null;
            }
            case "Scan":
            {
                int k = (int)n.GetInt("num_scan_inputs", 0);
                var axes = n.GetInts("scan_input_axes");
                for (int i = 0; i < k; i++)
                {
                    string x = n.Inputs[n.Inputs.Count - k + i];
                    var s = shape(x);
                    long axis = axes?[i] ?? 0;
                    if (s is null || axis < -s.Rank || axis >= s.Rank || !s[(int)(axis < 0 ? axis + s.Rank : axis)].IsKnown)
                        return $"the length of its scan input '{x}' is not known when the training graph is built";
                }
                return null;
            }
            default:
                return $"control-flow operator '{n.OpType}' cannot be expanded into plain operators";
        }
    }

    // The body's condition output is its condition input passed through (directly or by Identity) or a constant true.
    private static bool ContinuesAlways(Graph body)
    {
        if (body.Inputs.Count < 2 || body.Outputs.Count < 1) return false;
        string cond = body.Outputs[0].Name, input = body.Inputs[1].Name;
        if (cond == input) return true;
        var producer = body.Producer(cond);
        if (producer is { OpType: "Identity" } && producer.Inputs[0] == input) return true;
        if (producer is { OpType: "Constant" } && producer.GetTensor("value") is { } t) return TensorData.ToDoubleArray(t) is [not 0.0];
        return body.FindInitializer(cond) is { } init && TensorData.ToDoubleArray(init.ToInlineProto()) is [not 0.0];
    }

    /// <summary>The node's outputs, computed by plain operators.</summary>
    public static Value[] Expand(GraphBuilder g, Node n, IReadOnlyList<Value?> inputs, BodyReplay replay)
    {
        double[]? Constant(string name) => g.ConstantValue(name) is { } t ? TensorData.ToDoubleArray(t) : null;
        string Outer(int i) => inputs.ElementAtOrDefault(i)?.Name ?? "";
        // The reasons are asked of the replayed values (constants and shapes as this graph knows them).
        var renamed = Node.FromProto(n.ToProto());
        for (int i = 0; i < renamed.Inputs.Count; i++) renamed.Inputs[i] = Outer(i);
        if (WhyNotExpandable(renamed, name => name.Length > 0 ? Constant(name) : null, name => name.Length > 0 ? g[name].Shape : null) is { } why)
            throw new GraphBuildException($"{n.Describe()} cannot be trained through: {why}");
        return n.OpType switch
        {
            "If" => If(n, inputs[0]!, replay),
            "Loop" => Loop(g, n, inputs, (long)Constant(Outer(0))![0], replay),
            _ => Scan(g, n, inputs, replay),
        };
    }

    private static Value[] If(Node n, Value cond, BodyReplay replay)
    {
        var g = cond.Builder;
        // A condition known when the graph is built needs one branch only.
        if (g.ConstantValue(cond.Name) is { } known)
            return replay(Body(n, TensorData.ToDoubleArray(known)[0] != 0 ? "then_branch" : "else_branch"), new Dictionary<string, Value>());
        var then = replay(Body(n, "then_branch"), new Dictionary<string, Value>());
        var other = replay(Body(n, "else_branch"), new Dictionary<string, Value>());
        if (then.Length != other.Length) throw new GraphBuildException($"{n.Describe()}: the branches have {then.Length} and {other.Length} outputs");
        return then.Zip(other, (a, b) => Op.Where(cond, a, b)).ToArray();
    }

    private static Value[] Loop(GraphBuilder g, Node n, IReadOnlyList<Value?> inputs, long steps, BodyReplay replay)
    {
        var body = Body(n, "body");
        var carried = inputs.Skip(2).Select(v => v!).ToArray();
        var scans = new List<Value[]>();
        var yes = g.Constant(TensorData.Scalar("", ElementType.Bool, 1));
        for (long i = 0; i < steps; i++)
        {
            var bound = new Dictionary<string, Value> { [body.Inputs[0].Name] = g.Constant(TensorData.Scalar("", ElementType.Int64, i)), [body.Inputs[1].Name] = yes };
            for (int k = 0; k < carried.Length; k++) bound[body.Inputs[2 + k].Name] = carried[k];
            var outs = replay(body, bound);
            carried = outs.Skip(1).Take(carried.Length).ToArray();
            scans.Add(outs.Skip(1 + carried.Length).ToArray());
        }
        int scanCount = body.Outputs.Count - 1 - carried.Length;
        var stacked = Enumerable.Range(0, scanCount).Select(k => Op.Concat(0, scans.Select(s => Op.Unsqueeze(s[k], 0)).ToArray()));
        return [.. carried, .. stacked];
    }

    private static Value[] Scan(GraphBuilder g, Node n, IReadOnlyList<Value?> inputs, BodyReplay replay)
    {
        var body = Body(n, "body");
        int k = (int)n.GetInt("num_scan_inputs", 0);
        int states = inputs.Count - k;
        var inAxes = n.GetInts("scan_input_axes");
        var inDirs = n.GetInts("scan_input_directions");
        var outAxes = n.GetInts("scan_output_axes");
        var outDirs = n.GetInts("scan_output_directions");
        var xs = inputs.Skip(states).Select(v => v!).ToArray();
        var axes = xs.Select((x, i) => { long a = inAxes?[i] ?? 0; return (int)(a < 0 ? a + x.Rank!.Value : a); }).ToArray();
        long length = xs[0].Shape![axes[0]].Value!.Value;
        var carried = inputs.Take(states).Select(v => v!).ToArray();
        var steps = new List<Value[]>();
        for (long t = 0; t < length; t++)
        {
            var bound = new Dictionary<string, Value>();
            for (int s = 0; s < states; s++) bound[body.Inputs[s].Name] = carried[s];
            for (int i = 0; i < k; i++)
            {
                long at = (inDirs?[i] ?? 0) == 1 ? length - 1 - t : t;
                bound[body.Inputs[states + i].Name] = Op.Gather(xs[i], g.Constant(TensorData.Scalar("", ElementType.Int64, at)), axes[i]);
            }
            var outs = replay(body, bound);
            carried = outs.Take(states).ToArray();
            steps.Add(outs.Skip(states).ToArray());
        }
        var stacked = new List<Value>();
        for (int o = 0; o < body.Outputs.Count - states; o++)
        {
            var slices = steps.Select(s => s[o]).ToList();
            if ((outDirs?[o] ?? 0) == 1) slices.Reverse();
            int rank = (slices[0].Rank ?? throw new GraphBuildException($"{n.Describe()}: the rank of scan output {o} is unknown")) + 1;
            long a = outAxes?[o] ?? 0;
            int axis = (int)(a < 0 ? a + rank : a);
            stacked.Add(Op.Concat(axis, slices.Select(s => Op.Unsqueeze(s, axis)).ToArray()));
        }
        return [.. carried, .. stacked];
    }
}

/// <summary>What the trainability report and the importer both ask of a model's control-flow nodes.</summary>
internal static class ControlFlowChecks
{
    /// <summary>Values a node's subgraphs read from the enclosing graphs (implicit inputs), recursively.</summary>
    public static HashSet<string> OuterReferences(Node n)
    {
        var refs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in n.Attributes)
            foreach (var proto in a.G is { } one ? [one] : a.Graphs)
            {
                var body = Graph.FromProto(proto);
                var defined = body.Inputs.Select(i => i.Name).Concat(body.Initializers.Select(i => i.Name))
                    .Concat(body.Nodes.SelectMany(b => b.Outputs)).ToHashSet(StringComparer.Ordinal);
                foreach (var b in body.Nodes)
                    foreach (var name in b.Inputs.Concat(ControlFlow.HasSubgraph(b) ? OuterReferences(b) : []))
                        if (name.Length > 0 && !defined.Contains(name)) refs.Add(name);
                foreach (var o in body.Outputs) if (!defined.Contains(o.Name)) refs.Add(o.Name);
            }
        return refs;
    }

    /// <summary>Operators inside the node's subgraphs (recursively) that have no gradient rule and carry values.</summary>
    public static IEnumerable<string> OpsWithoutRule(Node n, Func<string, bool> hasRule)
    {
        foreach (var a in n.Attributes)
            foreach (var proto in a.G is { } one ? [one] : a.Graphs)
                foreach (var b in Graph.FromProto(proto).Nodes)
                {
                    if (ControlFlow.HasSubgraph(b)) { foreach (var op in OpsWithoutRule(b, hasRule)) yield return op; }
                    else if (!hasRule(b.Domain is "" or "ai.onnx" ? b.OpType : $"{b.Domain}.{b.OpType}")) yield return b.OpType;
                }
    }

    /// <summary>Each control-flow node of the model's main graph that cannot be expanded, with the reason.</summary>
    public static List<(Node Node, string Reason)> Unexpandable(OnnxModel model)
    {
        var nodes = model.Graph.Nodes.Where(ControlFlow.HasSubgraph).ToList();
        if (nodes.Count == 0) return [];
        GraphBuilder? b = null;
        try { b = GraphBuilder.Attach(model); } catch (Exception e) when (e is GraphBuildException or OnnxModelException or ArgumentException) { }
        double[]? Constant(string name)
        {
            if (b?.ConstantValue(name) is { } t) return TensorData.ToDoubleArray(t);
            if (model.Graph.FindInitializer(name) is { } init) return TensorData.ToDoubleArray(init.ToInlineProto());
            return model.Graph.Producer(name) is { OpType: "Constant" } c && c.GetTensor("value") is { } v ? TensorData.ToDoubleArray(v) : null;
        }
        Shape? ShapeOf(string name) => b is not null && b.Has(name) ? b[name].Shape : null;
        return nodes.Select(n => (n, ControlFlow.WhyNotExpandable(n, Constant, ShapeOf))).Where(t => t.Item2 is not null).Select(t => (t.n, t.Item2!)).ToList();
    }
}
