using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff;

/// <summary>
/// Swaps a forward value for an equivalent one that a gradient rule built from values the backward pass computes anyway
/// (a convolution as one GEMM over the im2col matrix its weight gradient needs, a recurrent node as its unrolled steps).
/// The replacement's nodes read only values defined before the forward node, so they move to its place, the node
/// producing each replacement takes over the original output name (readers of the replacement follow), and the forward
/// node is dropped: every consumer, forward or backward, reads the replacement.
/// </summary>
internal static class ForwardRewrite
{
    /// <summary>
    /// Applies the (original, replacement) pairs, grouped by the node producing the originals; a node is replaced only when
    /// every output it produces has a replacement, and none of them depends on the node itself.
    /// </summary>
    public static void Apply(Graph graph, IEnumerable<(string Original, string Replacement)> replacements)
    {
        var list = replacements.ToList();
        while (list.Count > 0)
        {
            var nodes = graph.Nodes;
            var producerIndex = new Dictionary<string, int>();
            for (int i = 0; i < nodes.Count; i++)
                foreach (var o in nodes[i].Outputs) if (o.Length > 0) producerIndex[o] = i;
            var first = list[0];
            if (!producerIndex.TryGetValue(first.Original, out int at)) { list.RemoveAt(0); continue; }
            var group = list.Where(p => producerIndex.GetValueOrDefault(p.Original, -1) == at).ToList();
            list.RemoveAll(group.Contains);
            var forward = nodes[at];
            if (!forward.Outputs.Where(o => o.Length > 0).All(o => group.Any(p => p.Original == o))) continue;
            if (!group.All(p => producerIndex.ContainsKey(p.Replacement))) continue;

            // The replacements' producers that come after the forward node (the rest is already defined there).
            var moving = new SortedSet<int>();
            var pending = new Stack<string>(group.Select(p => p.Replacement));
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
            foreach (var (original, replacement) in group)
            {
                var producer = moved.Single(n => n.Outputs.Contains(replacement));
                producer.Outputs[producer.Outputs.IndexOf(replacement)] = original;
                foreach (var n in nodes)
                    for (int k = 0; k < n.Inputs.Count; k++)
                        if (n.Inputs[k] == replacement) n.Inputs[k] = original;
            }
        }
    }
}
