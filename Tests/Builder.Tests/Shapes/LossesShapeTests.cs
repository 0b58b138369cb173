using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Losses family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class LossesShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["SoftmaxCrossEntropyLoss ignore_index, none"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 4, 3), Ints(g, [0, -1, 1, 1], 4), reduction: "none", ignoreIndex: -1)),
        ["NegativeLogLikelihoodLoss weights, sum"] = new(17, g => [Op.NegativeLogLikelihoodLoss(X(g, "x", 4, 3, 2), Ints(g, [0, 2, 1, 1, 0, 0, 2, 2], 4, 2), W(g, 3), reduction: "sum")]),
        ["SoftmaxCrossEntropyLoss mean + log_prob"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 4, 3), Ints(g, [0, 2, 1, 1], 4))),
        ["SoftmaxCrossEntropyLoss none, spatial"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 2, 3, 5), Ints(g, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 2, 5), reduction: "none")),
        ["SoftmaxCrossEntropyLoss sum, weights"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 4, 3), Ints(g, [0, 2, 1, 1], 4), W(g, 3), reduction: "sum")),
        ["NegativeLogLikelihoodLoss none"] = new(17, g => [Op.NegativeLogLikelihoodLoss(X(g, "x", 2, 3, 2), Ints(g, [0, 2, 1, 1], 2, 2), reduction: "none")]),
        ["NegativeLogLikelihoodLoss mean"] = new(17, g => [Op.NegativeLogLikelihoodLoss(X(g, "x", 4, 3), Ints(g, [0, 2, 1, 1], 4))]),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
