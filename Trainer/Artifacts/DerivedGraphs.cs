using OnnxKit.IR;

namespace OnnxKit.Training.Artifacts;

/// <summary>
/// Derives one training graph from another instead of building the model again: a deep copy cut down to some
/// outputs, with what no longer feeds them removed.
/// </summary>
internal static class DerivedGraphs
{
    /// <summary>An independent copy of <paramref name="model"/> (later edits to either leave the other alone).</summary>
    public static OnnxModel Copy(OnnxModel model, string graphName)
    {
        var copy = OnnxModel.FromBytes(model.ToBytes(), $"graph '{model.Graph.Name}'");
        copy.Graph.Name = graphName;
        return copy;
    }

    /// <summary>
    /// Removes the nodes, graph inputs, initializers and value types that no graph output depends on. The graphs
    /// derived here have no sub-graphs, so a node's inputs are all it reads.
    /// </summary>
    public static void Prune(Graph graph, params string[] keepInputs)
    {
        var (kept, needed) = GraphStructure.NeededFor(graph, graph.Outputs.Select(o => o.Name));
        graph.Nodes.Clear();
        graph.Nodes.AddRange(kept);
        graph.Inputs.RemoveAll(i => !needed.Contains(i.Name) && !keepInputs.Contains(i.Name));
        graph.Initializers.RemoveAll(i => !needed.Contains(i.Name));
        graph.ValueInfo.RemoveAll(v => !needed.Contains(v.Name));
    }
}
