using OnnxKit.IR;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// Re-emits imported nodes into a <see cref="GraphBuilder"/>: ordinary nodes through <see cref="ImportedNodes"/>,
/// control flow expanded into plain operators (<see cref="ControlFlow"/>) with its subgraphs replayed the same way.
/// </summary>
internal static class GraphReplay
{
    /// <summary>
    /// Replays <paramref name="nodes"/> into <paramref name="g"/>, reading inputs through <paramref name="resolve"/> and writing
    /// outputs into <paramref name="values"/>; <paramref name="owner"/> is the module whose BatchNorm statistics a training-mode
    /// BatchNormalization updates (null outside a training graph).
    /// </summary>
    public static void Nodes(GraphBuilder g, IEnumerable<Node> nodes, Dictionary<string, Value> values, Func<string, Value?> resolve, TrainableModel? owner)
    {
        foreach (var n in nodes)
        {
            var inputs = n.Inputs.Select(resolve).ToList();
            var outputs = ControlFlow.HasSubgraph(n)
                ? ControlFlow.Expand(g, n, inputs, (body, bound) => Body(g, body, bound, resolve, owner))
                : ImportedNodes.Replay(g, n, inputs, owner);
            for (int k = 0; k < outputs.Length && k < n.Outputs.Count; k++)
                if (n.Outputs[k].Length > 0) values[n.Outputs[k]] = outputs[k];
        }
    }

    // A subgraph reads its bound inputs, its own initializers (constants) and, by name, the values of the graphs around it.
    private static Value[] Body(GraphBuilder g, Graph body, IReadOnlyDictionary<string, Value> bound, Func<string, Value?> outer, TrainableModel? owner)
    {
        var local = new Dictionary<string, Value>(bound, StringComparer.Ordinal);
        var constants = body.Initializers.ToDictionary(i => i.Name, StringComparer.Ordinal);
        Value? Resolve(string name)
        {
            if (name.Length == 0) return null;
            if (local.TryGetValue(name, out var v)) return v;
            if (constants.TryGetValue(name, out var c)) return local[name] = g.Constant(c.ToInlineProto());
            return outer(name);
        }
        Nodes(g, body.Nodes, local, Resolve, owner);
        return body.Outputs.Select(o => Resolve(o.Name) ?? throw new GraphBuildException($"subgraph '{body.Name}' has no value '{o.Name}'")).ToArray();
    }
}
