using System.Reflection;
using OnnxKit.Interop.Import.Upgrades;
using OnnxKit.IR;

namespace OnnxKit.Interop.Import;

/// <summary>
/// Moves a model written for an older standard opset to the canonical one (<see cref="InteropInfo.CanonicalOpset"/>),
/// so that shape inference, the gradient rules and ONNX Runtime all read each node the same way. Only operators whose
/// signature or semantics changed between the two opsets are rewritten, one rule per operator family (attributes that
/// became inputs, legacy broadcasting, the 2-D Softmax family, Dropout/BatchNormalization switches, Upsample → Resize);
/// every other node is kept as it is. Nodes of other domains (<c>ai.onnx.ml</c>, custom ones) are never touched.
/// </summary>
public static class OpsetUpgrader
{
    private static readonly Lazy<List<(int ChangedAt, HashSet<string> Ops, UpgradeRule Rule, string Name)>> Rules = new(Load);

    // Operators the standard set dropped without a replacement the upgrader knows.
    private static readonly HashSet<string> Removed = new(StringComparer.Ordinal)
    {
        "ATen", "Affine", "ConstantFill", "Crop", "DynamicSlice", "GRUUnit", "GivenTensorFill", "ImageScaler", "ParametricSoftplus",
        "Scale", "ScaledTanh",
    };

    /// <summary>
    /// Upgrades <paramref name="model"/> in place to <paramref name="targetOpset"/> and returns what was changed, node by
    /// node. A model already at or above the target is left as it is (an empty list).
    /// </summary>
    /// <exception cref="OnnxModelException">A node cannot be expressed at the target opset; the message names it and why.</exception>
    public static IReadOnlyList<string> Upgrade(OnnxModel model, int targetOpset = InteropInfo.CanonicalOpset)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        long from = model.Opset;
        if (from == 0) throw new OnnxModelException($"model '{graph.Name}' imports no standard (ai.onnx) operator set; expected an opset_import with domain \"\"");
        var changes = new List<string>();
        if (from >= targetOpset) return changes;

        var types = TypesOf(model);
        UpgradeGraph(graph, from, targetOpset, v => types.GetValueOrDefault(v), changes, graph.DefinedNames());

        string key = model.Opsets.ContainsKey("") || !model.Opsets.ContainsKey("ai.onnx") ? "" : "ai.onnx";
        model.Opsets[key] = targetOpset;
        long oldIr = model.IrVersion;
        model.IrVersion = Math.Max(model.IrVersion, GraphBuilder.IrVersionFor(targetOpset));
        // IR versions before 4 listed every initializer among the graph inputs; since then an initializer that is also an
        // input is a default the caller may override, which a weight of an exported model is not meant to be.
        if (oldIr < 4)
        {
            var inits = graph.Initializers.Select(i => i.Name).ToHashSet();
            int dropped = graph.Inputs.RemoveAll(i => inits.Contains(i.Name));
            if (dropped > 0) changes.Add($"IR {oldIr} → {model.IrVersion}: {dropped} initializers no longer listed as graph inputs");
        }
        changes.Insert(0, $"opset {from} → {targetOpset}");
        return changes;
    }

    // Upgrades the nodes of one graph, then of the bodies of its If/Loop/Scan nodes (which follow the model's opset too).
    private static void UpgradeGraph(Graph graph, long from, int targetOpset, Func<string, TensorType?> typeOf, List<string> changes, HashSet<string> names)
    {
        foreach (var n in graph.Nodes) if (n.Name.Length > 0) names.Add(n.Name);
        foreach (var o in graph.Outputs) names.Add(o.Name);
        var result = new List<Node>(graph.Nodes.Count);
        var ctx = new UpgradeContext(graph, result, names, typeOf, changes, from);
        foreach (var node in graph.Nodes.ToList())
        {
            ctx.Node = node;
            if (node.Domain is "" or "ai.onnx")
            {
                if (Removed.Contains(node.OpType))
                    throw ctx.Fail($"'{node.OpType}' was removed from the standard operator set and has no replacement at opset {targetOpset}");
                // Opset 6 removed the 'consumed_inputs' hint from every operator that had it.
                if (from < 6) node.Remove("consumed_inputs");
                // Rules match the operator as written: one rule may rename it (Upsample → Resize) for a form no other rule handles.
                string op = node.OpType;
                foreach (var (changedAt, ops, rule, _) in Rules.Value)
                    if (from < changedAt && changedAt <= targetOpset && ops.Contains(op)) rule(ctx);
                for (int k = 0; k < node.Attributes.Count; k++)
                    if (node.Attributes[k].G is { } body)
                        node.Attributes[k] = Attr.Graph(node.Attributes[k].Name, UpgradeBody(body, from, targetOpset, changes, names));
            }
            result.Add(node);
            result.AddRange(ctx.TakeAfter());
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(result);
    }

    // A subgraph's own values are typed only where it declares them (inference does not enter bodies).
    private static Schema.GraphProto UpgradeBody(Schema.GraphProto body, long from, int targetOpset, List<string> changes, HashSet<string> names)
    {
        var g = Graph.FromProto(body);
        var declared = new Dictionary<string, TensorType>();
        foreach (var v in g.Inputs.Concat(g.ValueInfo).Concat(g.Outputs))
            if (TensorType.FromProto(v.Type) is { } t) declared[v.Name] = t;
        foreach (var i in g.Initializers) declared[i.Name] = i.Type;
        names.UnionWith(g.DefinedNames());
        UpgradeGraph(g, from, targetOpset, v => declared.GetValueOrDefault(v), changes, names);
        return g.ToProto();
    }

    /// <summary>The operators that have an upgrade rule, with the opset each rule upgrades to.</summary>
    public static IReadOnlyList<(string OpType, int ChangedAt)> RuleTable =>
        Rules.Value.SelectMany(r => r.Ops.Select(o => (o, r.ChangedAt))).OrderBy(x => x.o, StringComparer.Ordinal).ToList();

    // Types inferred on the original model (declared ones where inference cannot tell).
    private static Dictionary<string, TensorType> TypesOf(OnnxModel model)
    {
        var types = new Dictionary<string, TensorType>();
        foreach (var v in model.Graph.Inputs.Concat(model.Graph.ValueInfo).Concat(model.Graph.Outputs))
            if (TensorType.FromProto(v.Type) is { } t) types[v.Name] = t;
        GraphBuilder b;
        try { b = GraphBuilder.Attach(model); }
        catch (GraphBuildException) { return types; }
        foreach (var name in model.Graph.DefinedNames())
            if (b.Has(name) && b[name].Type is { } t && (t.ElementType != ElementType.Undefined || t.Shape is not null))
                types[name] = t.Shape is null && types.TryGetValue(name, out var declared) ? declared : t;
        return types;
    }

    private static List<(int, HashSet<string>, UpgradeRule, string)> Load()
    {
        var rules = new List<(int, HashSet<string>, UpgradeRule, string)>();
        foreach (var t in typeof(OpsetUpgrader).Assembly.GetTypes().Where(t => t.Namespace == typeof(UpgradeRule).Namespace))
            foreach (var m in t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                if (m.GetCustomAttribute<UpgradeAttribute>() is { } a)
                    rules.Add((a.ChangedAt, a.OpTypes.ToHashSet(StringComparer.Ordinal), m.CreateDelegate<UpgradeRule>(), $"{t.Name}.{m.Name}"));
        return rules.OrderBy(r => r.Item1).ToList();
    }
}
