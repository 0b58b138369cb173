using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>
/// Recognises an inference-form <c>BatchNormalization</c> whose mean and variance inputs are its own input's batch
/// statistics — the pattern OnnxKit's BatchNorm layers train with:
/// <code>
/// m = ReduceMean(x, all axes but 1, keepdims=1);  d = Sub(x, m);  v = ReduceMean(Mul(d, d), same axes, keepdims=1)
/// y = BatchNormalization(x, γ, β, Reshape(m, [C]), Reshape(v, [C]))
/// </code>
/// Differentiating that subgraph op by op costs about twice the full-size passes of the closed-form training gradient,
/// so the BatchNormalization rule gives the closed form for x when it finds the pattern (and the statistics then carry
/// no gradient). The pattern is read from the graph itself, so it holds for a training graph loaded from a file too;
/// anything else falls back to the general rule, which is exact as well.
/// </summary>
internal sealed record BatchStatistics(Value Centered, Value Variance)
{
    /// <summary>The statistics of <paramref name="x"/> feeding the current node, or null when they are not that pattern.</summary>
    public static BatchStatistics? Of(GradScope g, Value x)
    {
        if (x.Rank is not int rank || rank < 2 || !g.HasInput(3) || !g.HasInput(4)) return null;
        long[] axes = [0, .. Enumerable.Range(2, rank - 2).Select(i => (long)i)];
        // mean input: Reshape/Squeeze of ReduceMean(x).
        if (Unwrapped(g, g.Input(3)) is not { } meanKept || !IsMeanOver(g, meanKept, x.Name, axes)) return null;
        // variance input: Reshape/Squeeze of ReduceMean(Mul(d, d)) with d = Sub(x, meanKept).
        if (Unwrapped(g, g.Input(4)) is not { } varKept || g.ProducerOf(varKept) is not { } reduce) return null;
        if (!IsMeanOver(g, varKept, null, axes) || g.ProducerOf(g.Graph[reduce.Inputs[0]]) is not { OpType: "Mul" } square) return null;
        if (square.Inputs.Count != 2 || square.Inputs[0] != square.Inputs[1]) return null;
        var centered = g.Graph[square.Inputs[0]];
        if (g.ProducerOf(centered) is not { OpType: "Sub" } sub || sub.Inputs[0] != x.Name || sub.Inputs[1] != meanKept.Name) return null;
        return new BatchStatistics(centered, g.Input(4));
    }

    // The kept-dims statistic under a Reshape or Squeeze to [C].
    private static Value? Unwrapped(GradScope g, Value v) =>
        g.ProducerOf(v) is { OpType: "Reshape" or "Squeeze" } p ? g.Graph[p.Inputs[0]] : null;

    // v = ReduceMean(input, axes, keepdims=1), with input named `input` when given.
    private static bool IsMeanOver(GradScope g, Value v, string? input, long[] axes)
    {
        if (g.ProducerOf(v) is not { OpType: "ReduceMean" } n || n.GetInt("keepdims", 1) != 1) return false;
        if (input is not null && n.Inputs[0] != input) return false;
        long[]? reduced = n.Inputs.Count > 1 && n.Inputs[1].Length > 0
            ? g.Graph.ConstantValue(n.Inputs[1]) is { } t ? TensorData.ToInt64Array(t) : null
            : n.GetInts("axes");
        if (reduced is null) return false;
        int rank = v.Rank ?? 0;
        return reduced.Select(a => a < 0 ? a + rank : a).Order().SequenceEqual(axes);
    }
}
