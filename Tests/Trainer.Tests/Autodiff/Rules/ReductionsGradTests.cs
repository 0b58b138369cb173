using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the reduction rules (Reduce*, CumSum, TopK); see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class ReductionsGradTests
{
    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["CumSum"] = new([In.Of("a", 3, 4)], (g, x) => Op.CumSum(x[0], 1)),
        ["CumSum_reverse_exclusive"] = new([In.Of("a", 3, 4)], (g, x) => Op.CumSum(x[0], 0, exclusive: true, reverse: true)),
        ["TopK"] = new([In.Of("a", 3, 5)], (g, x) => Op.TopK(x[0], 2, 1)[0]),
        ["ReduceSum_keepdims"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.ReduceSum(x[0], [1], keepDims: true)),
        ["ReduceSum_dropdims"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.ReduceSum(x[0], [-1, 0], keepDims: false)),
        ["ReduceSum_all"] = new([In.Of("a", 2, 3)], (g, x) => Op.Unsqueeze(Op.ReduceSum(x[0], keepDims: false), 0)),
        ["ReduceMean"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.ReduceMean(x[0], [2], keepDims: false)),
        ["ReduceMean_unknown"] = new([In.Of("a", U, 3, U).Feed(2, 3, 4)], (g, x) => Op.ReduceMean(x[0], [0, 2], keepDims: true)),
        ["ReduceMax"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceMax(x[0], [1], keepDims: false)),
        ["ReduceMin"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceMin(x[0], [0], keepDims: true)),
        ["ReduceSumSquare"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceSumSquare(x[0], [1], keepDims: false)),
        ["ReduceL2"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceL2(x[0], [1], keepDims: true)),
        ["ReduceLogSumExp"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceLogSumExp(x[0], [1], keepDims: false)),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
