using OnnxKit.IR;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Training.Privacy;

/// <summary>What <see cref="PerExampleGradients.Build"/> adds to a graph.</summary>
/// <param name="Norms">‖gᵢ‖ for every example ([B]): the L2 norm over all trained parameters of the gradient of example i's own loss.</param>
/// <param name="ClippedSums">Σᵢ min(1, C/(‖gᵢ‖ + 10⁻⁶))·gᵢ by parameter name, in the parameter's shape.</param>
public sealed record PerExampleResult(Value Norms, IReadOnlyDictionary<string, Value> ClippedSums);

/// <summary>
/// Per-example gradient clipping inside the training graph, without forming per-example gradients where an identity
/// gives their norms (the approach of "ghost clipping", Goodfellow 2015; Li, Tramèr, Liang and Hashimoto 2022).
/// <para>
/// The loss L averages the examples' losses ℓᵢ over a batch of B, so example i's gradient with respect to a node output
/// is B·δᵢ, δ = ∂L/∂output. The autodiff is asked only for δ at the outputs of the nodes that read parameters; each such
/// use (a <see cref="ParameterTap"/>) turns δ into ‖gᵢ‖² per example by its layer's identity (Dense: ‖aᵢ‖²‖δᵢ‖²;
/// sequences and convolutions: inner products of Gram matrices; embeddings: Gram masked by equal indices; small
/// parameters: formed explicitly). The clip coefficients cᵢ = min(1, C/(‖gᵢ‖ + 10⁻⁶)) then scale δ's rows, and each
/// weight's ordinary gradient formula applied to c ⊙ δ — for Dense (c ⊙ δ)ᵀA — is the clipped sum. Layers do not mix
/// examples (checked: BatchNorm in training is refused), which is what makes δᵢ depend on example i alone.
/// </para>
/// </summary>
public static class PerExampleGradients
{
    /// <summary>
    /// Adds the per-example norms and the clipped sums of the gradients of <paramref name="loss"/> (the batch mean of
    /// per-example losses) with respect to <paramref name="parameters"/>, clipped at <paramref name="maxGradNorm"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer mixes the examples of a batch (BatchNorm in training), or a
    /// parameter is used in a way with no per-example rule; the message names the layer or node.</exception>
    public static PerExampleResult Build(GraphBuilder g, Value loss, IReadOnlyList<string> parameters, double maxGradNorm)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (!(maxGradNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxGradNorm), maxGradNorm, "the clipping norm must be positive");
        RefuseBatchMixing(g.Graph);
        // Only the nodes that compute the loss: the graph may already hold other readers of a parameter (the batch
        // gradients the artifacts also export), which are not uses of the weight by the model.
        var forward = GraphStructure.NeededFor(g.Graph, [loss.Name]).Nodes.ToHashSet();
        var uses = parameters.ToDictionary(p => p, p => ParameterUses.Find(g, p, forward));
        var taps = uses.Values.SelectMany(u => u).ToList();
        var deltas = Gradients.Build(g, loss, taps.Select(t => t.Tap.Output.Name).Distinct());
        using var scope = g.Scope("dp");
        var type = loss.ElementType;
        // Sub-scopes name the nodes of each part of the work in a profile.
        Value[] squares;
        using (g.Scope("norm")) squares = taps.Select(t => t.Tap.SquaredNorms(deltas[t.Tap.Output.Name])).ToArray();
        var batch = Op.Cast(Op.Shape(deltas[taps[0].Tap.Output.Name], 0, 1), type);   // [1]: B
        var norms = Op.Sqrt(squares.Length == 1 ? squares[0] : Op.Sum(squares)) * batch;
        // B·cᵢ: one factor turns δ's rows into the examples' own gradients, the other clips them.
        var coef = Op.Min(g.Scalar(maxGradNorm, type) / (norms + g.Scalar(1e-6, type)), g.Scalar(1, type)) * batch;
        var sums = new Dictionary<string, Value>();
        using var sumScope = g.Scope("clipped_sum");
        foreach (var (name, list) in uses)
        {
            var parts = list.Select(u => u.ToParameter(u.Tap.WeightedSum(deltas[u.Tap.Output.Name], coef))).ToArray();
            sums[name] = parts.Length == 1 ? parts[0] : Op.Sum(parts);
        }
        return new PerExampleResult(norms, sums);
    }

    /// <summary>
    /// BatchNorm in training normalises each example by statistics of the whole batch, so one example's gradient reaches
    /// every other example's loss and no per-example gradient exists to clip (Opacus refuses it for the same reason).
    /// </summary>
    private static void RefuseBatchMixing(Graph graph)
    {
        foreach (var node in graph.Nodes.Where(n => n.OpType == "BatchNormalization"))
        {
            bool batchStatistics = node.GetInt("training_mode", 0) == 1 || (node.Inputs.Count > 3 && graph.Producer(node.Inputs[3]) is not null);
            if (!batchStatistics) continue;
            string layer = node.Inputs.Count > 1 && node.Inputs[1].EndsWith(".weight", StringComparison.Ordinal)
                ? $"layer '{node.Inputs[1][..^".weight".Length]}'" : node.Describe();
            throw new NotSupportedException($"DP-SGD cannot train {layer}: BatchNorm normalises every example with statistics of the whole batch, " +
                "so examples' gradients mix and cannot be clipped one by one; use LayerNorm or GroupNorm instead (or freeze the layer in inference mode)");
        }
    }
}
