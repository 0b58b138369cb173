using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss rules; see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class LossesGradTests
{
    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["SoftmaxCrossEntropyLoss_mean"] = new([In.Of("s", "N", 4).Feed(3, 4), Labels("y", [0, 3, 1], "N") with { Concrete = [3] }],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1])[0]),
        ["SoftmaxCrossEntropyLoss_sum_weights"] = new([In.Of("s", 3, 4), Labels("y", [2, 3, 2], 3), In.Of("wt", 4) with { Trainable = false, Map = Positive }],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1], x[2], "sum")[0]),
        ["SoftmaxCrossEntropyLoss_none_ignore"] = new([In.Of("s", 4, 3), Labels("y", [0, 1, 2, 1], 4)],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1], reduction: "none", ignoreIndex: 1)[0]),
        ["SoftmaxCrossEntropyLoss_spatial_weights_ignore"] = new([In.Of("s", 2, 3, 2), Labels("y", [0, 2, 1, 2], 2, 2), In.Of("wt", 3) with { Trainable = false, Map = Positive }],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1], x[2], "mean", ignoreIndex: 0)[0]),
        ["SoftmaxCrossEntropyLoss_log_prob_used"] = new([In.Of("s", 3, 4), Labels("y", [1, 0, 3], 3)],
            (g, x) => { var r = Op.SoftmaxCrossEntropyLoss(x[0], x[1]); return Op.Add(Op.Unsqueeze(r[0], 0), Op.ReduceSum(r[1], keepDims: false)); }),
        ["NegativeLogLikelihoodLoss_mean_weights_ignore"] = new([In.Of("p", 3, 4), Labels("y", [2, 3, 0], 3), In.Of("wt", 4) with { Trainable = false, Map = Positive }],
            (g, x) => Op.NegativeLogLikelihoodLoss(x[0], x[1], x[2], "mean", ignoreIndex: 3)),
        ["SoftmaxCrossEntropyLoss_trained_weights_sum"] = new([In.Of("s", 3, 4), Labels("y", [2, 3, 2], 3), In.Of("wt", 4) with { Map = Positive }],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1], x[2], "sum")[0]),
        ["SoftmaxCrossEntropyLoss_trained_weights_none"] = new([In.Of("s", 4, 3), Labels("y", [0, 1, 2, 1], 4), In.Of("wt", 3) with { Map = Positive }],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1], x[2], "none")[0]),
        ["SoftmaxCrossEntropyLoss_trained_weights_spatial_mean_ignore"] = new([In.Of("s", 2, 3, 2), Labels("y", [0, 2, 1, 2], 2, 2), In.Of("wt", 3) with { Map = Positive }],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1], x[2], "mean", ignoreIndex: 0)[0]),
        ["SoftmaxCrossEntropyLoss_trained_weights_log_prob_used"] = new([In.Of("s", 3, 4), Labels("y", [1, 0, 3], 3), In.Of("wt", 4) with { Map = Positive }],
            (g, x) => { var r = Op.SoftmaxCrossEntropyLoss(x[0], x[1], x[2]); return Op.Add(Op.Unsqueeze(r[0], 0), Op.ReduceSum(r[1], keepDims: false)); }),
        ["SoftmaxCrossEntropyLoss_only_weights_trained"] = new([In.Of("s", 3, 4) with { Trainable = false }, Labels("y", [1, 0, 1], 3), In.Of("wt", 4) with { Map = Positive }],
            (g, x) => Op.SoftmaxCrossEntropyLoss(x[0], x[1], x[2])[0]),
        ["NegativeLogLikelihoodLoss_trained_weights_mean_ignore"] = new([In.Of("p", 3, 4), Labels("y", [2, 3, 0], 3), In.Of("wt", 4) with { Map = Positive }],
            (g, x) => Op.NegativeLogLikelihoodLoss(x[0], x[1], x[2], "mean", ignoreIndex: 3)),
        ["NegativeLogLikelihoodLoss_sum_spatial"] = new([In.Of("p", 2, 3, 2), Labels("y", [0, 2, 1, 1], 2, 2)],
            (g, x) => Op.NegativeLogLikelihoodLoss(x[0], x[1], reduction: "sum")),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
