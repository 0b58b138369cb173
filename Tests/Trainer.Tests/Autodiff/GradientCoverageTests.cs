using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>
/// Every operator with a gradient rule is exercised by at least one finite-difference case: a rule added without a
/// case fails here. The cases are the <c>Cases</c> tables of the family test classes in <c>Autodiff/Rules</c>.
/// </summary>
[TestClass]
public sealed class GradientCoverageTests
{
    internal static IEnumerable<(string Family, string Name, GradCase Case)> AllCases() =>
        typeof(GradientCoverageTests).Assembly.GetTypes()
            .Select(t => (t, f: t.GetField("Cases", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)))
            .Where(p => p.f?.FieldType == typeof(Dictionary<string, GradCase>))
            .SelectMany(p => ((Dictionary<string, GradCase>)p.f!.GetValue(null)!).Select(kv => (p.t.Name, kv.Key, kv.Value)));

    /// <summary>The operators of a case's forward graph.</summary>
    private static IEnumerable<string> Operators(GradCase c)
    {
        var g = new GraphBuilder("case", c.Opset);
        var type = c.Float32 ? ElementType.Float32 : ElementType.Float64;
        c.Forward(g, c.Inputs.Select(i => g.Input(i.Name, i.Int64 ? ElementType.Int64 : type, i.Declared)).ToArray());
        return g.Graph.Nodes.Select(n => n.OpType).Distinct();
    }

    [TestMethod]
    public void EveryOperatorWithAGradientRuleHasAFiniteDifferenceCase()
    {
        var covered = AllCases().SelectMany(c => Operators(c.Case)).ToHashSet();
        // Custom-domain rules (domain.Op) are registered by tests at run time; the standard ones come with the library.
        var missing = GradientRegistry.Operators.Where(op => !op.Contains('.') && !covered.Contains(op)).ToList();
        Assert.IsEmpty(missing, $"gradient rules without a finite-difference case (add one to the family's *GradTests): {string.Join(", ", missing)}");
    }
}
