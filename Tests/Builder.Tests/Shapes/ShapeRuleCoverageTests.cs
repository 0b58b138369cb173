using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace OnnxKit.Tests.Shapes;

/// <summary>
/// Every operator with a shape rule is exercised by at least one case checked against ONNX Runtime: a rule added
/// without a case fails here. The cases are the <c>Cases</c> tables of the family test classes in this folder.
/// </summary>
[TestClass]
public sealed class ShapeRuleCoverageTests
{
    /// <summary>Operators with a rule that no ORT case can check, and why.</summary>
    private static readonly Dictionary<string, string> Unchecked = new()
    {
    };

    internal static IEnumerable<(string Family, string Name, ShapeCase Case)> AllCases() =>
        typeof(ShapeRuleCoverageTests).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(ShapeRuleCoverageTests).Namespace)
            .Select(t => (t, f: t.GetField("Cases", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)))
            .Where(p => p.f?.FieldType == typeof(Dictionary<string, ShapeCase>))
            .SelectMany(p => ((Dictionary<string, ShapeCase>)p.f!.GetValue(null)!).Select(kv => (p.t.Name, kv.Key, kv.Value)));

    [TestMethod]
    public void EveryOperatorWithAShapeRuleHasACaseAgainstOnnxRuntime()
    {
        var covered = AllCases().SelectMany(c => ShapeCheck.Operators(c.Case)).ToHashSet();
        var missing = ShapeInference.Operators.Where(op => !covered.Contains(op) && !Unchecked.ContainsKey(op)).ToList();
        Assert.IsEmpty(missing, $"shape rules without a case against ONNX Runtime (add one to the family's *ShapeTests): {string.Join(", ", missing)}");
        var stale = Unchecked.Keys.Where(op => covered.Contains(op) || !ShapeInference.HasRule(op)).ToList();
        Assert.IsEmpty(stale, $"listed as unchecked but covered or without a rule: {string.Join(", ", stale)}");
    }
}
