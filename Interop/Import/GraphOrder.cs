using OnnxKit.IR;

namespace OnnxKit.Interop.Import;

/// <summary>
/// Structural checks of an imported graph before anything reads it (<see cref="GraphStructure"/>: every value a node
/// reads is defined somewhere, nothing is defined twice, and the nodes form no cycle). Nodes out of topological order
/// (legal in some exporters' output, not in ONNX) are put in order.
/// </summary>
public static class GraphOrder
{
    /// <summary>
    /// Checks <paramref name="graph"/> and sorts its nodes topologically (stable: nodes already in order keep it).
    /// Returns true when the order changed.
    /// </summary>
    /// <exception cref="OnnxModelException">A dangling input, a value defined twice, an undefined output, or a cycle (named node by node).</exception>
    public static bool CheckAndSort(Graph graph, IEnumerable<string>? outerScopeNames = null)
    {
        var sorted = GraphStructure.TopologicalOrder(graph, outerScopeNames);
        bool changed = !sorted.SequenceEqual(graph.Nodes);
        if (changed) { graph.Nodes.Clear(); graph.Nodes.AddRange(sorted); }
        return changed;
    }
}
