using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>
/// Removes the <c>Identity</c> nodes that only give a computed value its graph-output name, by renaming the value
/// where it is produced. <see cref="Graph"/> builders name outputs that way (a value is named before anyone knows it
/// will be an output), and ONNX Runtime keeps such an Identity as a full copy of the tensor: in a train step every
/// parameter and optimizer slot leaves through one, one extra memory pass per state tensor per step.
/// </summary>
public static class OutputIdentities
{
    /// <summary>
    /// Renames in place and returns how many Identity nodes were removed. An Identity stays when its input is a graph
    /// input or initializer (there is nothing to rename), is itself a graph output — which covers a value leaving under
    /// two names: after the first rename the second Identity reads an output — or when the graph has sub-graphs (their
    /// implicit references to outer names are not followed).
    /// </summary>
    public static int Remove(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (graph.Nodes.Any(n => n.Attributes.Any(a => a.Type is AttributeProto.Types.AttributeType.Graph or AttributeProto.Types.AttributeType.Graphs)))
            return 0;
        var outputs = graph.Outputs.Select(o => o.Name).ToHashSet();
        var external = graph.Inputs.Select(i => i.Name).Concat(graph.Initializers.Select(i => i.Name)).ToHashSet();
        var producer = new Dictionary<string, Node>();
        foreach (var n in graph.Nodes) foreach (var o in n.Outputs) if (o.Length > 0) producer[o] = n;
        var removed = new List<Node>();
        foreach (var id in graph.Nodes.Where(n => n.OpType == "Identity" && n.Domain is "" or "ai.onnx" && n.Inputs.Count == 1 && n.Outputs.Count == 1).ToList())
        {
            string from = id.Inputs[0], to = id.Outputs[0];
            if (!outputs.Contains(to) || outputs.Contains(from) || external.Contains(from)) continue;
            if (!producer.TryGetValue(from, out var p)) continue;
            p.Outputs[p.Outputs.IndexOf(from)] = to;
            foreach (var n in graph.Nodes)
                for (int i = 0; i < n.Inputs.Count; i++)
                    if (n.Inputs[i] == from) n.Inputs[i] = to;
            // The value now carries the output's name; its recorded type moves with it.
            graph.ValueInfo.RemoveAll(v => v.Name == to);
            foreach (var v in graph.ValueInfo.Where(v => v.Name == from)) v.Name = to;
            removed.Add(id);
        }
        foreach (var n in removed) graph.Nodes.Remove(n);
        return removed.Count;
    }
}
