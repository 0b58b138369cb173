using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff;

/// <summary>
/// Swaps a forward value for an equivalent one that a gradient rule built from values the backward pass computes anyway
/// (a convolution as one GEMM over the im2col matrix its weight gradient needs). The replacement's nodes read only
/// values defined before the forward node, so they move to its place, the last of them takes over its output name,
/// and the forward node is dropped: every consumer, forward or backward, reads the replacement.
/// </summary>
internal static class ForwardRewrite
{
    /// <summary>Applies each (original, replacement) pair; a pair whose replacement depends on the original is skipped.</summary>
    public static void Apply(Graph graph, IEnumerable<(string Original, string Replacement)> replacements)
    {
        foreach (var (original, replacement) in replacements)
        {
            var nodes = graph.Nodes;
            var producerIndex = new Dictionary<string, int>();
            for (int i = 0; i < nodes.Count; i++)
                foreach (var o in nodes[i].Outputs) if (o.Length > 0) producerIndex[o] = i;
            if (!producerIndex.TryGetValue(original, out int at) || !producerIndex.ContainsKey(replacement)) continue;
            if (nodes[at].Outputs.Count(o => o.Length > 0) != 1) continue;

            // The replacement's producers that come after the forward node (the rest is already defined there).
            var moving = new SortedSet<int>();
            var pending = new Stack<string>([replacement]);
            bool cyclic = false;
            while (pending.Count > 0 && !cyclic)
            {
                if (!producerIndex.TryGetValue(pending.Pop(), out int i) || i < at || !moving.Add(i)) continue;
                cyclic = i == at;
                foreach (var input in nodes[i].Inputs) if (input.Length > 0) pending.Push(input);
            }
            if (cyclic) continue;

            var moved = moving.Select(i => nodes[i]).ToList();
            foreach (int i in moving.Reverse()) nodes.RemoveAt(i);
            nodes.RemoveAt(at);
            nodes.InsertRange(at, moved);
            var last = moved.Single(n => n.Outputs.Contains(replacement));
            last.Outputs[last.Outputs.IndexOf(replacement)] = original;
        }
    }
}
