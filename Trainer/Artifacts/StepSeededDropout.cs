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
    // nothing overflows. Two squaring rounds make the map from (j, t) non-linear.
    private const long Prime = 2147483647;
    // Scale of the row values: u = frac(K·α·β) with α, β in [1, 2) goes through 3K whole periods over the products' range,
    // so it is uniform to within about 1/(3K); a power of two keeps K·α exact in float32, leaving 14 bits of fraction.
    private const double RowScale = 256;

    /// <summary>Rewrites every Dropout of <paramref name="g"/> whose ratio is a constant and whose training flag is constant true.</summary>
    /// <remarks>
    /// With <paramref name="slice"/> (two int64 scalars: the first row of this batch in a larger one, and that one's rows) the
    /// graph computes rows of a larger batch: a Dropout input whose first dimension is the batch gets the rows of that batch's
    /// mask, so the shards of several ranks, or micro-batches accumulated into one step, draw the masks of one step on all of it.
    /// </remarks>
    public static int Apply(GraphBuilder g, Value stepCounter, (Value RowOffset, Value TotalRows)? slice = null)
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
                var u = Uniform(g, x, stepCounter, node.GetInt("seed", 0) % Prime, slice);
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

    /// <summary>
    /// u ∈ [0, 1) of x's shape, a function of (position, step, seed) only. The element at (b, f) of x seen as [B, F] is
    /// frac(K·α_b·β_f): α and β are B + F values of an integer hash of (j, t) computed on the short vector j = 0 … B+F−1
    /// (rows first, then columns), so the per-element work is one multiplication and a fractional part in float32, no
    /// more than ONNX Runtime's own Dropout spends; an integer hash per element pays int64 divisions (bench/RESULTS.md).
    /// For two elements in different rows or columns the products are functions of different independent values; within a
    /// row (α shared) frac(K·α·β) of two independent β is independent again because K·α spans many periods. Every
    /// operation is exact integer arithmetic or one IEEE-rounded float32 operation, so every ORT binding and provider draws the
    /// same mask. The statistics (rate, pairs across positions and steps) are tested in StepSeededDropoutTests.
    /// </summary>
    private static Value Uniform(GraphBuilder g, Value x, Value stepCounter, long seed, (Value RowOffset, Value TotalRows)? slice)
    {
        Value I(long v) => g.Scalar(v, ElementType.Int64);
        var shape = Op.Shape(x);
        var rows1 = Op.Slice(shape, [0], [1]);
        var rows = Op.Gather(shape, I(0));
        // Columns = the product of the other dimensions, as Size / rows (an empty batch divides by 1): CUDA has no int64
        // ReduceProd, and the mask must stay on the device's kernels.
        var columns = Op.Div(Op.Size(x), Op.Max(rows, I(1)));
        var j = Op.Range(I(0), rows + columns, I(1));   // B + F < 2³¹: j·16807 needs no reduction
        // A slice of a larger batch hashes its rows at their places in that batch, and the columns after all of its rows.
        if (slice is var (offset, total)) j = Op.Concat(0, Op.Range(offset, offset + rows, I(1)), Op.Range(total, total + columns, I(1)));
        var stepTerm = Op.Mod(Op.Mod(stepCounter, I(Prime)) * 48271 + seed, I(Prime));
        var h = Op.Mod(j * 16807 + stepTerm, I(Prime));
        h = Op.Mod(h * h + 1_234_567_891, I(Prime));
        h = Op.Mod(h * 69621 + j, I(Prime));
        h = Op.Mod(h * h + 987_654_321, I(Prime));
        var v = Op.Cast(h, ElementType.Float32) * (1.0 / Prime) + 1.0;
        var alpha = g.Node1("Slice", [v, g.Int64s(0), rows1]) * RowScale;
        var beta = g.Node1("Slice", [v, rows1, g.Int64s(long.MaxValue)]);
        var p = Op.Unsqueeze(alpha, 1) * Op.Unsqueeze(beta, 0);
        return Op.Reshape(p - Op.Floor(p), shape);
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
