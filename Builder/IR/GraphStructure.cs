namespace OnnxKit.IR;

/// <summary>
/// The structural rules every graph read from a file must meet before anything walks it: each value a node reads is
/// defined somewhere (no dangling input), no value is defined twice, every graph output is computed and listed once,
/// and the nodes form no cycle. Nodes merely out of topological order are allowed here (some exporters write them so);
/// <see cref="TopologicalOrder"/> gives the order to run them in.
/// </summary>
public static class GraphStructure
{
    /// <summary>
    /// The nodes of a topologically ordered <paramref name="graph"/> that <paramref name="values"/> depend on, in graph
    /// order, with every value they read (inputs, initializers and node outputs). Sub-graphs are not looked into.
    /// </summary>
    public static (List<Node> Nodes, HashSet<string> Reads) NeededFor(Graph graph, IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var needed = values.ToHashSet();
        var kept = new List<Node>();
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var n = graph.Nodes[i];
            if (!n.Outputs.Any(needed.Contains)) continue;
            kept.Add(n);
            foreach (var input in n.Inputs) if (input.Length > 0) needed.Add(input);
        }
        kept.Reverse();
        return (kept, needed);
    }

    /// <summary>
    /// Checks <paramref name="graph"/> and returns its nodes in topological order (stable: nodes already in order keep it).
    /// </summary>
    /// <exception cref="OnnxModelException">A dangling input, a value defined twice, an undefined or repeated output, or a cycle (named node by node).</exception>
    public static List<Node> TopologicalOrder(Graph graph, IEnumerable<string>? outerScopeNames = null)
    {
        var available = new HashSet<string>(outerScopeNames ?? []);
        foreach (var i in graph.Initializers) available.Add(i.Name);
        foreach (var i in graph.Inputs) available.Add(i.Name);
        var producer = new Dictionary<string, Node>();
        foreach (var n in graph.Nodes)
            foreach (var o in n.Outputs)
            {
                if (o.Length == 0) continue;
                if (available.Contains(o) || !producer.TryAdd(o, n))
                    throw new OnnxModelException($"graph '{graph.Name}': value '{o}' is defined twice (again by {n.Describe()})");
            }
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs)
                if (i.Length > 0 && !available.Contains(i) && !producer.ContainsKey(i))
                    throw new OnnxModelException($"graph '{graph.Name}': {n.Describe()} reads '{i}', which no graph input, initializer or node defines (a dangling input)");
        var listed = new HashSet<string>();
        foreach (var o in graph.Outputs)
        {
            if (!available.Contains(o.Name) && !producer.ContainsKey(o.Name))
                throw new OnnxModelException($"graph '{graph.Name}': output '{o.Name}' is not computed by any node");
            if (!listed.Add(o.Name))
                throw new OnnxModelException($"graph '{graph.Name}': output '{o.Name}' is listed twice among the graph outputs; expected each output once");
        }

        // Kahn's algorithm, taking nodes in their file order whenever several are ready.
        var pending = graph.Nodes.ToDictionary(n => n, n => n.Inputs.Where(i => i.Length > 0 && !available.Contains(i)).Distinct().Count());
        var readers = new Dictionary<string, List<Node>>();
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs.Where(i => i.Length > 0 && !available.Contains(i)).Distinct())
                (readers.TryGetValue(i, out var l) ? l : readers[i] = []).Add(n);
        var index = graph.Nodes.Select((n, k) => (n, k)).ToDictionary(x => x.n, x => x.k);
        var ready = new PriorityQueue<Node, int>();
        foreach (var n in graph.Nodes) if (pending[n] == 0) ready.Enqueue(n, index[n]);
        var sorted = new List<Node>(graph.Nodes.Count);
        while (ready.TryDequeue(out var n, out _))
        {
            sorted.Add(n);
            foreach (var o in n.Outputs)
                if (o.Length > 0 && readers.TryGetValue(o, out var rs))
                    foreach (var r in rs) if (--pending[r] == 0) ready.Enqueue(r, index[r]);
        }
        if (sorted.Count < graph.Nodes.Count)
        {
            var stuck = graph.Nodes.Where(n => pending[n] > 0).ToList();
            throw new OnnxModelException($"graph '{graph.Name}' has a cycle: {stuck.Count} nodes wait on each other ({string.Join(", ", stuck.Take(6).Select(n => n.Describe()))}{(stuck.Count > 6 ? ", …" : "")}); an ONNX graph must be acyclic");
        }
        return sorted;
    }
}
