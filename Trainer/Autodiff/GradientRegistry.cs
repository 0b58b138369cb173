namespace OnnxKit.Training.Autodiff;

/// <summary>A gradient rule: reads the node's inputs, outputs and output gradients from the scope and sets input gradients.</summary>
public delegate void GradientRule(GradScope g);

/// <summary>
/// The gradient rules, one per operator: static methods marked <see cref="GradientAttribute"/> in the family classes of
/// <c>Autodiff/Rules</c> (the same idiom as the Builder's shape rules), so adding a family needs no edit here.
/// </summary>
public static class GradientRegistry
{
    private static readonly Lazy<Dictionary<string, GradientRule>> Rules = new(Load);

    /// <summary>
    /// Operators whose outputs carry no gradient (shapes, indices, comparisons, piecewise-constant functions):
    /// a path through them does not connect a parameter to the loss.
    /// </summary>
    public static IReadOnlySet<string> NonDifferentiable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Constant", "ConstantOfShape", "Shape", "Size", "Range", "EyeLike", "OneHot", "NonZero", "ArgMax", "ArgMin",
        "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "And", "Or", "Xor", "Not", "IsNaN", "IsInf",
        "Sign", "Floor", "Ceil", "Round", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
        "Bernoulli", "Multinomial", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "Hardmax",
    };

    // Outputs that are indices or masks even though the operator itself is differentiable.
    private static readonly Dictionary<string, int[]> IndexOutputs = new()
    {
        ["MaxPool"] = [1], ["TopK"] = [1], ["Dropout"] = [1], ["Unique"] = [1, 2, 3],
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, GradientRule> Added = new(StringComparer.Ordinal);

    /// <summary>The rule for an operator (<c>domain.Op</c> for a custom domain), or null.</summary>
    public static GradientRule? Find(string opType) => Added.TryGetValue(opType, out var r) ? r : Rules.Value.GetValueOrDefault(opType);

    /// <summary>
    /// Adds (or replaces) the rule of an operator: a standard one by name, or a custom operator as <c>domain.Op</c>.
    /// </summary>
    public static void Register(string opType, GradientRule rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(rule);
        Added[opType] = rule;
    }

    /// <summary>Every operator that has a gradient rule, sorted.</summary>
    public static IReadOnlyList<string> Operators => Rules.Value.Keys.Union(Added.Keys).Order(StringComparer.Ordinal).ToList();

    /// <summary>True when output <paramref name="index"/> of the operator never carries a gradient.</summary>
    public static bool IsIndexOutput(string opType, int index) =>
        IndexOutputs.TryGetValue(opType, out var outs) && outs.Contains(index);

    private static Dictionary<string, GradientRule> Load() =>
        OpRuleTable.Collect<GradientAttribute, GradientRule>(typeof(GradientRegistry).Assembly, a => a.OpTypes, "gradient");
}
