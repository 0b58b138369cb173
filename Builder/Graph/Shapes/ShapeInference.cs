using OnnxKit.IR;

namespace OnnxKit;

/// <summary>A shape rule: the output types of one node from its inputs' types and attributes.</summary>
public delegate TensorType?[] ShapeRule(ShapeContext ctx);

/// <summary>
/// Type and shape inference for the operators of the <see cref="Op"/> surface (and many more), with symbolic
/// dimensions and broadcasting. Rules live in families under <c>Graph/Shapes/Rules</c>, one static method per rule marked <see cref="ShapeRuleAttribute"/>; an operator of the
/// standard domain that ONNX does not define is refused, one of a custom domain gets unknown output types.
/// </summary>
public static partial class ShapeInference
{
    private static readonly Dictionary<string, ShapeRule> Rules = [];
    private static readonly object Gate = new();
    private static bool _loaded;

    /// <summary>Registers (or replaces) the rule for a standard-domain operator.</summary>
    public static void Register(string opType, ShapeRule rule)
    {
        lock (Gate) Rules[opType] = rule;
    }

    /// <summary>The rule registered for an operator, or null.</summary>
    internal static ShapeRule? Rule(string opType) { lock (Gate) return Rules.GetValueOrDefault(opType); }

    /// <summary>True when a rule exists for the operator.</summary>
    public static bool HasRule(string opType) { EnsureLoaded(); return Rules.ContainsKey(opType); }

    /// <summary>Every operator that has a shape rule, sorted.</summary>
    public static IReadOnlyList<string> Operators { get { EnsureLoaded(); lock (Gate) return Rules.Keys.Order(StringComparer.Ordinal).ToList(); } }

    /// <summary>Output types of a node; throws <see cref="GraphBuildException"/> naming the node when its inputs cannot fit.</summary>
    public static TensorType?[] Infer(GraphBuilder? builder, Node node, TensorType?[] inputs)
    {
        EnsureLoaded();
        bool standard = node.Domain.Length == 0 || node.Domain == "ai.onnx";
        if (!standard) return new TensorType?[node.Outputs.Count];
        if (!OnnxOperators.IsStandard(node.OpType))
            throw new GraphBuildException($"{node.Describe()}: '{node.OpType}' is not an operator of the standard ONNX domain; for a custom operator pass its domain (e.g. domain: \"com.example\")");
        var ctx = new ShapeContext(builder, node, inputs);
        if (!Rules.TryGetValue(node.OpType, out var rule))
            return new TensorType?[node.Outputs.Count];
        TensorType?[] result;
        try { result = rule(ctx); }
        catch (Exception e) when (e is not GraphBuildException)
        {
            // A rule tripping over input it did not foresee still reports the node, never a bare runtime exception.
            throw new GraphBuildException(ctx.Fail($"cannot infer the output types: {e.Message}").Message, e);
        }
        if (result.Length < node.Outputs.Count) Array.Resize(ref result, node.Outputs.Count);
        return result;
    }

    private static void EnsureLoaded()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            // Rules are static methods marked [ShapeRule] in the family classes of Rules/; ShapeValues then wraps the
            // rules of the ops that carry small shape tensors.
            foreach (var (op, rule) in OpRuleTable.Collect<ShapeRuleAttribute, ShapeRule>(typeof(ShapeInference).Assembly, a => a.OpTypes, "shape"))
                Rules[op] = rule;
            Shapes.ShapeValues.Track();
            _loaded = true;
        }
    }
}
