using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff;

/// <summary>
/// Reverse-mode automatic differentiation over an ONNX graph: appends to the graph the nodes (standard ONNX operators
/// only) that compute the gradient of a scalar loss with respect to chosen values.
/// </summary>
public static class Gradients
{
    /// <summary>
    /// Adds to the graph of <paramref name="g"/> the nodes computing d(loss)/d(each name in <paramref name="wrt"/>) and
    /// returns name → gradient value (same shape and type as the value).
    /// </summary>
    /// <param name="g">The graph (built, or attached to an imported model).</param>
    /// <param name="loss">A float scalar of <paramref name="g"/> (rank 0, or a shape of all 1s).</param>
    /// <param name="wrt">Names of float initializers or graph inputs (or intermediate values) to differentiate with respect to.</param>
    /// <param name="stopGradient">Value names through which no gradient flows.</param>
    /// <exception cref="GradientException">The loss is not a float scalar; a name does not exist, is not float or does not
    /// reach the loss; or an operator on the path has no gradient rule.</exception>
    /// <remarks>
    /// Only nodes on a path from a <paramref name="wrt"/> value to the loss are differentiated, so frozen parts of a
    /// network cost nothing. Gradients from several consumers of one value are summed with one <c>Sum</c> node.
    /// A rule may also recompute a forward value from what its gradient needs anyway (a small convolution as a GEMM
    /// over the weight gradient's im2col matrix): the forward node is then replaced in place, every value keeping its
    /// name and meaning.
    /// </remarks>
    public static IReadOnlyDictionary<string, Value> Build(GraphBuilder g, Value loss, IEnumerable<string> wrt, IEnumerable<string>? stopGradient = null) =>
        Differentiate(g, loss, wrt, stopGradient, rewriteForward: true);

    // rewriteForward: false keeps the forward nodes as the model wrote them, for a caller that reads the model's layers
    // from the graph after the gradients are built (DP-SGD's per-example rules recognise Conv, not its GEMM form).
    internal static IReadOnlyDictionary<string, Value> Differentiate(GraphBuilder g, Value loss, IEnumerable<string> wrt, IEnumerable<string>? stopGradient, bool rewriteForward)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(wrt);
        if (!ReferenceEquals(loss.Builder, g)) throw new GradientException($"loss '{loss.Name}' belongs to graph '{loss.Builder.Graph.Name}', not to '{g.Graph.Name}'");
        var targets = wrt.Distinct().ToList();
        if (targets.Count == 0) throw new GradientException("no values to differentiate with respect to (wrt is empty)");
        CheckLoss(loss);
        foreach (var name in targets) CheckTarget(g, name);

        var stops = new HashSet<string>(stopGradient ?? []);
        foreach (var name in targets)
            if (stops.Contains(name)) throw new GradientException($"'{name}' is both differentiated (wrt) and listed in stopGradient");
        // Where inference could not type the loss, the trained values tell the float type.
        var lossType = loss.ElementType != ElementType.Undefined ? loss.ElementType
            : targets.Select(t => g[t].ElementType).FirstOrDefault(t => t.IsFloat(), ElementType.Undefined);
        var seed = Seed(g, loss, lossType);
        if (loss.ElementType == ElementType.Undefined) loss.Type = new TensorType(lossType, loss.Shape);
        var result = Propagate(g, [(loss, seed)], targets, stops, lossType, rewriteForward, unreached: name =>
            throw new GradientException($"the loss '{loss.Name}' does not depend on '{name}': no path of differentiable nodes leads from it to the loss" +
                (stops.Count > 0 ? " (paths through stopGradient values are cut)" : "")));
        return result;
    }

    /// <summary>
    /// The vector-Jacobian product: given the gradients <paramref name="seeds"/> flowing into some values of the graph,
    /// adds the nodes computing the gradient of each <paramref name="wrt"/> value and returns them; a value none of the
    /// seeds depends on is left out. A gradient rule that re-expresses its operator in simpler ones differentiates
    /// them with this.
    /// </summary>
    internal static Dictionary<string, Value> Backward(GraphBuilder g, IReadOnlyList<(Value Of, Value Grad)> seeds, IEnumerable<string> wrt) =>
        Propagate(g, seeds, wrt.Distinct().ToList(), [], seeds[0].Grad.ElementType, rewriteForward: true, unreached: null);

    private static Dictionary<string, Value> Propagate(GraphBuilder g, IReadOnlyList<(Value Of, Value Grad)> seeds, List<string> targets,
        HashSet<string> stops, ElementType lossType, bool rewriteForward, Action<string>? unreached)
    {
        var nodes = g.Graph.Nodes.ToList(); // the forward graph, before any gradient node is added
        var dependsOnTarget = DependentValues(g, nodes, targets, stops);
        var reachesLoss = ValuesReachingLoss(nodes, seeds.Select(s => s.Of.Name), dependsOnTarget);
        if (unreached is not null)
            foreach (var name in targets.Where(t => !reachesLoss.Contains(t))) unreached(name);
        bool OnPath(string v) => v.Length > 0 && dependsOnTarget.Contains(v) && reachesLoss.Contains(v);

        var contributions = new Dictionary<string, List<Value>>();
        var zeroWhereZero = new HashSet<(string, string)>();
        var forwardReplacements = new List<(string, string)>();
        using var scope = g.Scope("grad");
        foreach (var (of, grad) in seeds) Contribute(contributions, of, grad);
        for (int n = nodes.Count - 1; n >= 0; n--)
        {
            var node = nodes[n];
            if (!node.Outputs.Any(OnPath)) continue;
            var outGrads = node.Outputs.Select(o => OnPath(o) ? Total(contributions, o) : null).ToArray();
            // No gradient reached any output: a rule that already gave the total derivative through this node's
            // consumers (BatchNormalization fed with its own batch statistics) left it nothing to pass on.
            if (outGrads.All(d => d is null)) continue;
            var rule = GradientRegistry.Find(node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}") ?? throw new GradientException($"no gradient rule for op '{(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType}' (node '{(node.Name.Length > 0 ? node.Name : node.Outputs[0])}'); " +
                    "it lies on the path from the trained values to the loss (freeze the values before it, or pass its output in stopGradient)");
            var needs = node.Inputs.Select(i => OnPath(i)).ToArray();
            var type = GradType(g, node, outGrads, lossType);
            var gs = new GradScope(g, node, outGrads, needs, type, (i, v) => Contribute(contributions, g[node.Inputs[i]], v), zeroWhereZero, forwardReplacements);
            try { rule(gs); }
            catch (GraphBuildException e) { throw new GradientException($"gradient of {node.Describe()} failed: {e.Message}", e); }
        }

        var result = new Dictionary<string, Value>();
        foreach (var name in targets)
        {
            if (Total(contributions, name) is { } total) result[name] = total;
            else if (unreached is not null) result[name] = Op.ConstantOfShape(Op.Shape(g[name]), 0, g[name].ElementType);
        }
        // Without the rewrite the replacements' nodes are left unread, and pruned with the rest of the unused graph.
        if (rewriteForward) ForwardRewrite.Apply(g.Graph, forwardReplacements);
        return result;
    }

    private static void CheckLoss(Value loss)
    {
        if (loss.ElementType != ElementType.Undefined && !loss.ElementType.IsFloat())
            throw new GradientException($"the loss '{loss.Name}' must be a float scalar, got element type {loss.ElementType.OnnxName()}");
        if (loss.Shape is { } s && !s.All(d => d is { IsKnown: true, Value: 1 }))
            throw new GradientException($"the loss '{loss.Name}' must be a scalar (rank 0 or a shape of all 1s), got shape {s}; reduce it first (e.g. ReduceMean)");
    }

    private static void CheckTarget(GraphBuilder g, string name)
    {
        if (!g.Has(name))
        {
            var all = g.Graph.Initializers.Select(i => i.Name).Concat(g.Graph.Inputs.Select(i => i.Name))
                .Concat(g.Graph.Nodes.SelectMany(n => n.Outputs)).Where(x => x.Length > 0).Distinct();
            var close = all.OrderBy(x => EditDistance(x, name)).Take(5).ToList();
            throw new GradientException($"graph '{g.Graph.Name}' has no value named '{name}' to differentiate with respect to" +
                (close.Count > 0 ? $"; closest names: {string.Join(", ", close.Select(c => $"'{c}'"))}" : ""));
        }
        var t = g[name].ElementType;
        if (t.IsInteger() || t == ElementType.Bool)
            throw new GradientException($"'{name}' has element type {t.OnnxName()}: integer parameters cannot be trained (only float values have gradients)");
        if (t != ElementType.Undefined && !t.IsFloat())
            throw new GradientException($"'{name}' has element type {t.OnnxName()}; only float values have gradients");
    }

    // Forward pass: values computed (differentiably) from a target.
    private static HashSet<string> DependentValues(GraphBuilder g, List<Node> nodes, List<string> targets, HashSet<string> stops)
    {
        var set = new HashSet<string>(targets.Where(t => !stops.Contains(t)));
        foreach (var node in nodes)
        {
            if (GradientRegistry.NonDifferentiable.Contains(node.OpType) || !node.Inputs.Any(set.Contains)) continue;
            for (int k = 0; k < node.Outputs.Count; k++)
            {
                var o = node.Outputs[k];
                if (o.Length == 0 || stops.Contains(o) || GradientRegistry.IsIndexOutput(node.OpType, k)) continue;
                var t = g[o].ElementType;
                if (t == ElementType.Undefined || t.IsFloat()) set.Add(o);
            }
        }
        return set;
    }

    // Backward pass: values computed from a target that the loss is (differentiably) computed from.
    private static HashSet<string> ValuesReachingLoss(List<Node> nodes, IEnumerable<string> losses, HashSet<string> dependent)
    {
        var set = new HashSet<string>(losses.Where(dependent.Contains));
        for (int n = nodes.Count - 1; n >= 0; n--)
            if (nodes[n].Outputs.Any(set.Contains))
                foreach (var i in nodes[n].Inputs) if (dependent.Contains(i)) set.Add(i);
        return set;
    }

    private static Value Seed(GraphBuilder g, Value loss, ElementType type)
    {
        if (type == ElementType.Undefined) throw new GradientException($"the element type of the loss '{loss.Name}' is unknown");
        if (loss.Shape is null) return Op.ConstantOfShape(Op.Shape(loss), 1, type);
        var one = TensorData.Scalar("", type, 1);
        one.Dims.AddRange(loss.Shape.Select(d => d.Value!.Value));
        return g.Constant(one);
    }

    private static ElementType GradType(GraphBuilder g, Node node, Value?[] outGrads, ElementType lossType)
    {
        foreach (var v in outGrads) if (v is not null && v.ElementType.IsFloat()) return v.ElementType;
        foreach (var o in node.Outputs) if (o.Length > 0 && g[o].ElementType.IsFloat()) return g[o].ElementType;
        foreach (var i in node.Inputs) if (i.Length > 0 && g[i].ElementType.IsFloat()) return g[i].ElementType;
        return lossType;
    }

    // A gradient has the type and shape of its value: where inference could not tell (an operator without an inference
    // rule), say so, so that later rules take static paths and graph outputs are typed.
    private static void Contribute(Dictionary<string, List<Value>> contributions, Value of, Value grad)
    {
        if ((grad.ElementType == ElementType.Undefined || grad.Shape is null) && of.ElementType != ElementType.Undefined)
            grad.Type = new TensorType(grad.ElementType == ElementType.Undefined ? of.ElementType : grad.ElementType, grad.Shape ?? of.Shape);
        if (!contributions.TryGetValue(of.Name, out var list)) contributions[of.Name] = list = [];
        list.Add(grad);
    }

    // The total gradient of a value: its single contribution, or one Sum of all of them.
    private static Value? Total(Dictionary<string, List<Value>> contributions, string name)
    {
        if (!contributions.TryGetValue(name, out var list) || list.Count == 0) return null;
        if (list.Count > 1)
        {
            var sum = Op.Sum([.. list]);
            list.Clear();
            list.Add(sum);
        }
        return list[0];
    }

    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
