using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the Gather and GatherElements rules; see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class IndexingGradTests
{
    private static Value I64(GraphBuilder g, params long[] v) => g.Int64s(v);

    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["Gather_axis0_repeated"] = new([In.Of("a", 4, 3), In.Of("i", 5) with { Int64 = true, Data = [0, 2, 2, 3, 0] }], (g, x) => Op.Gather(x[0], x[1], 0)),
        ["Gather_axis1_negative"] = new([In.Of("a", 2, 4, 3), In.Of("i", 2, 2) with { Int64 = true, Data = [-1, 0, 1, -1] }], (g, x) => Op.Gather(x[0], x[1], 1)),
        ["Gather_constant_indices"] = new([In.Of("a", 4, 3)], (g, x) => Op.Gather(x[0], I64(g, 3, 1, 3), 0)),
        ["GatherElements"] = new([In.Of("a", 3, 4), In.Of("i", 3, 2) with { Int64 = true, Data = [0, 3, 1, 1, 2, 0] }], (g, x) => Op.GatherElements(x[0], x[1], 1)),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
