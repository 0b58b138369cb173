using OnnxKit.IR;

namespace OnnxKit.Training.Artifacts;

/// <summary>
/// Replaces the training-mode <c>Dropout</c> nodes of a train step by masks computed from the optimizer's step counter.
/// ONNX Runtime's Dropout draws from a generator seeded once per session and advanced inside the kernel, where no
/// checkpoint can reach it: a resumed run would draw other masks than the uninterrupted one. Here the mask of element
/// i at step t is a fixed hash of (i, t, the node's seed), so a checkpoint's step counter is the generator's position
/// and a resumed run, or another ORT binding, draws exactly the same masks. The outputs keep the Dropout's names, so
/// the gradient rule (which reads the mask output) is unchanged.
/// </summary>
internal static class StepSeededDropout
{
    // Arithmetic modulo the Mersenne prime 2³¹ − 1 in int64: every product of two residues stays below 2⁶², so
    // nothing overflows. Two squaring rounds make the map from (i, t) non-linear.
    private const long Prime = 2147483647;

    /// <summary>Rewrites every Dropout of <paramref name="g"/> whose ratio is a constant and whose training flag is constant true.</summary>
    /// <remarks>
    /// With <paramref name="rowOffset"/> (int64 scalar) the graph computes a slice of a larger batch that starts at that row:
    /// element i of a Dropout input whose first dimension is the batch gets the mask of element i + offset × (row size)
    /// of the whole batch, so shards on several ranks, or micro-batches accumulated into one step, draw the masks of one
    /// step on the whole batch.
    /// </remarks>
    public static int Apply(GraphBuilder g, Value stepCounter, Value? rowOffset = null)
    {
        int replaced = 0;
        foreach (var node in g.Graph.Nodes.Where(n => n.OpType == "Dropout" && n.Domain is "" or "ai.onnx").ToList())
        {
            if (node.Inputs.Count < 3 || node.Inputs[2].Length == 0 || g.ConstantValue(node.Inputs[2]) is not { } flag || !TensorData.ToDoubleArray(flag).All(v => v != 0))
                continue;
            double ratio = node.Inputs[1].Length == 0 ? 0.5 : g.ConstantValue(node.Inputs[1]) is { } r ? TensorData.ToDoubleArray(r)[0] : double.NaN;
            if (double.IsNaN(ratio)) continue;
            int at = g.Graph.Nodes.IndexOf(node);
            int before = g.Graph.Nodes.Count;
            var x = g[node.Inputs[0]];
            Value y, keep;
            using (g.Scope(node.Name + "_mask"))
            {
                long seed = node.GetInt("seed", 0) % Prime;
                Value I(long v) => g.Scalar(v, ElementType.Int64);
                var index = Op.Reshape(Op.Range(I(0), Op.Size(x), I(1)), Op.Shape(x));
                if (rowOffset is not null) index = index + rowOffset * Op.Div(Op.Size(x), Op.Gather(Op.Shape(x), I(0)));
                var stepTerm = Op.Mod(Op.Mod(stepCounter, I(Prime)) * 48271 + seed, I(Prime));
                var h = Op.Mod(Op.Mod(index, I(Prime)) * 16807 + stepTerm, I(Prime));
                h = Op.Mod(h * h + 1_234_567_891, I(Prime));
                h = Op.Mod(h * 69621 + Op.Mod(index, I(Prime)), I(Prime));
                h = Op.Mod(h * h + 987_654_321, I(Prime));
                var u = Op.Cast(h, ElementType.Float32) * (1.0 / Prime);
                keep = Op.GreaterOrEqual(u, g.Scalar(ratio));
                y = x * (Op.Cast(keep, x.ElementType) * (ratio >= 1 ? 0 : 1 / (1 - ratio)));
            }
            // The new nodes were appended; move them to where the Dropout was (their inputs are all defined before it)
            // and give the last ones the Dropout's output names.
            var added = g.Graph.Nodes.GetRange(before, g.Graph.Nodes.Count - before);
            g.Graph.Nodes.RemoveRange(before, added.Count);
            Rename(added, y.Name, node.Outputs[0]);
            if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0) Rename(added, keep.Name, node.Outputs[1]);
            g.Graph.Nodes.RemoveAt(at);
            // Constants are shared: one the block reuses may have been made after the Dropout (by the optimizer update).
            var inputs = added.SelectMany(n => n.Inputs).ToHashSet();
            var lateConstants = g.Graph.Nodes.Skip(at).Where(n => n.OpType == "Constant" && n.Outputs.Any(inputs.Contains)).ToList();
            foreach (var c in lateConstants) g.Graph.Nodes.Remove(c);
            g.Graph.Nodes.InsertRange(at, [.. lateConstants, .. added]);
            replaced++;
        }
        return replaced;
    }

    private static void Rename(List<Node> nodes, string from, string to)
    {
        foreach (var n in nodes)
        {
            for (int i = 0; i < n.Outputs.Count; i++) if (n.Outputs[i] == from) n.Outputs[i] = to;
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == from) n.Inputs[i] = to;
        }
    }
}
