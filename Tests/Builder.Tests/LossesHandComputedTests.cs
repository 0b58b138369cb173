using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;

using OnnxKit.Tests.Support;
// Inside namespace OnnxKit, the simple name Losses means the namespace OnnxKit.Losses, so the catalogue gets an alias.
using Catalog = OnnxKit.Losses;

namespace OnnxKit.Tests;

/// <summary>Losses checked against values worked out by hand (no Python needed).</summary>
[TestClass]
public sealed class LossesHandComputedTests
{
    /// <summary>Builds prediction → loss with the given prediction shape, runs it in ORT and returns the loss's elements.</summary>
    internal static double[] Run(Loss loss, HostTensor prediction, HostTensor target, Dim[]? predictionDims = null)
    {
        var g = new GraphBuilder("loss_test");
        var p = g.Input("prediction", prediction.Type, predictionDims ?? prediction.Shape.Select(d => (Dim)d).ToArray());
        var t = g.Input("target", loss.TargetType(p.Type));
        g.Output(loss.Compute(p, t), "loss");
        var outs = OrtRun.Run(g.Build(), prediction with { Name = "prediction" }, target with { Name = "target" });
        return outs["loss"].Doubles;
    }

    private static HostTensor F(params float[] v) => HostTensor.F32("p", v, v.Length);

    [TestMethod]
    public void MeanSquaredErrorOfOneTwoAgainstZeros()
    {
        // (1² + 2²) / 2 = 2.5; sum 5; per element [1, 4]
        Compare.Close([2.5], Run(Catalog.MeanSquaredError(), F(1, 2), F(0, 0)), 1e-7);
        Compare.Close([5.0], Run(Catalog.MeanSquaredError(Reduction.Sum), F(1, 2), F(0, 0)), 1e-7);
        Compare.Close([1.0, 4.0], Run(Catalog.MeanSquaredError(Reduction.None), F(1, 2), F(0, 0)), 1e-7);
    }

    [TestMethod]
    public void MeanAbsoluteErrorAndL1()
    {
        // |1 − 0| + |−3 − 1| = 5, mean 2.5
        Compare.Close([2.5], Run(Catalog.MeanAbsoluteError(), F(1, -3), F(0, 1)), 1e-7);
        Compare.Close([1.0, 4.0], Run(Catalog.L1(Reduction.None), F(1, -3), F(0, 1)), 1e-7);
        Assert.AreEqual("mean_absolute_error", Catalog.L1().Name);
    }

    [TestMethod]
    public void HuberAndSmoothL1DifferByTheFactorBeta()
    {
        // d = [1, 4], δ = β = 2. Huber: ½·1² = 0.5 and 2·(4 − 1) = 6. Smooth L1 = Huber/β: 0.25 and 3.
        Compare.Close([0.5, 6.0], Run(Catalog.Huber(2, Reduction.None), F(1, 4), F(0, 0)), 1e-6);
        Compare.Close([0.25, 3.0], Run(Catalog.SmoothL1(2, Reduction.None), F(1, 4), F(0, 0)), 1e-6);
        // β = 0 is L1.
        Compare.Close([1.0, 4.0], Run(Catalog.SmoothL1(0, Reduction.None), F(1, -4), F(0, 0)), 1e-6);
        // δ = 1 at d = 0.5 (quadratic) and d = −3 (linear): 0.125 and 2.5, mean 1.3125.
        Compare.Close([1.3125], Run(Catalog.Huber(), F(0.5f, -3), F(0, 0)), 1e-6);
    }

    [TestMethod]
    public void CrossEntropyOfUniformLogitsIsLogOfTheClassCount()
    {
        var logits = HostTensor.F32("p", [0, 0, 0, 0, 5, 5, 5, 5], 2, 4);
        var labels = HostTensor.I64("t", [3, 0], 2);
        Compare.Close([Math.Log(4)], Run(Catalog.SparseCategoricalCrossEntropy(fromLogits: true), logits, labels), 1e-6);
        Compare.Close([2 * Math.Log(4)], Run(Catalog.CrossEntropy(reduction: Reduction.Sum), logits, labels), 1e-6);
    }

    [TestMethod]
    public void WeightedMeanDividesByTheTargetsWeightsAndSkipsIgnored()
    {
        // Logits [0, ln 3] → p = [¼, ¾]; −log p = [ln 4, ln 4/3]; labels [0, 1, 1].
        float ln3 = (float)Math.Log(3);
        var logits = HostTensor.F32("p", [0, ln3, 0, ln3, 0, ln3], 3, 2);
        var labels = HostTensor.I64("t", [0, 1, 1], 3);
        double l0 = Math.Log(4), l1 = Math.Log(4.0 / 3);
        // weights [2, 1]: (2·l0 + 1·l1 + 1·l1) / (2 + 1 + 1)
        Compare.Close([(2 * l0 + 2 * l1) / 4], Run(Catalog.CrossEntropy(classWeights: [2, 1]), logits, labels), 1e-6);
        // ignore class 1: only the first row counts, mean = l0
        Compare.Close([l0], Run(Catalog.CrossEntropy(ignoreIndex: 1), logits, labels), 1e-6);
        // the same from probabilities, and through NLL on log-probabilities
        var probs = HostTensor.F32("p", [0.25f, 0.75f, 0.25f, 0.75f, 0.25f, 0.75f], 3, 2);
        Compare.Close([(2 * l0 + 2 * l1) / 4], Run(Catalog.CrossEntropy(fromLogits: false, classWeights: [2, 1]), probs, labels), 1e-6);
        var logProbs = HostTensor.F32("p", probs.Floats.Select(v => MathF.Log(v)).ToArray(), 3, 2);
        Compare.Close([l0, 0, 0], Run(Catalog.NegativeLogLikelihood(ignoreIndex: 1, reduction: Reduction.None), logProbs, labels), 1e-6);
    }

    [TestMethod]
    public void LabelSmoothingMixesInTheMeanOfMinusLogP()
    {
        // p = [¼, ¾], label 0, ε = 0.2: 0.8·ln 4 + 0.2/2·(ln 4 + ln 4/3)
        float ln3 = (float)Math.Log(3);
        var logits = HostTensor.F32("p", [0, ln3], 1, 2);
        var labels = HostTensor.I64("t", [0], 1);
        double expected = 0.8 * Math.Log(4) + 0.1 * (Math.Log(4) + Math.Log(4.0 / 3));
        Compare.Close([expected], Run(Catalog.CrossEntropy(labelSmoothing: 0.2), logits, labels), 1e-6);
        // dense one-hot target [1, 0] smoothed the same way gives the same number
        var oneHot = HostTensor.F32("t", [1, 0], 1, 2);
        Compare.Close([expected], Run(Catalog.CrossEntropy(sparse: false, labelSmoothing: 0.2), logits, oneHot), 1e-6);
    }

    [TestMethod]
    public void BinaryCrossEntropyClampsTheLogAtMinus100()
    {
        // p = ½ → ln 2; p = 0 with target 1 → −max(ln 0, −100) = 100, finite
        Compare.Close([Math.Log(2), 100], Run(Catalog.BinaryCrossEntropy(Reduction.None), F(0.5f, 0), F(1, 1)), 1e-5);
        // from logits: x = 0 → ln 2; x = −200 with target 1 → 200 (softplus(200)), where the naive log(sigmoid) is −∞
        Compare.Close([Math.Log(2), 200], Run(Catalog.BinaryCrossEntropyWithLogits(reduction: Reduction.None), F(0, -200), F(1, 1)), 1e-4);
        // pos_weight 3 on a positive target triples its term: 3·ln 2; a negative target is unaffected: ln 2
        Compare.Close([3 * Math.Log(2), Math.Log(2)], Run(Catalog.BinaryCrossEntropyWithLogits([3], Reduction.None), F(0, 0), F(1, 0)), 1e-6);
    }

    [TestMethod]
    public void KLDivergenceOfEqualDistributionsIsZeroAndZeroTargetsAddNothing()
    {
        var logQ = HostTensor.F32("p", [MathF.Log(0.5f), MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.75f)], 2, 2);
        var t = HostTensor.F32("t", [0.5f, 0.5f, 0, 1], 2, 2);
        // row 0: 0; row 1: 0 (t = 0) + 1·(0 − ln ¾) = ln 4/3; batchmean = ln(4/3) / 2, mean over 4 elements = ln(4/3) / 4
        Compare.Close([Math.Log(4.0 / 3) / 2], Run(Catalog.KLDivergence(reduction: Reduction.BatchMean), logQ, t), 1e-6);
        Compare.Close([Math.Log(4.0 / 3) / 4], Run(Catalog.KLDivergence(), logQ, t), 1e-6);
    }

    [TestMethod]
    public void Float64PredictionsGiveFloat64Losses()
    {
        var p = HostTensor.F64("p", [0, Math.Log(3), 1, 2], 2, 2);
        var labels = HostTensor.I64("t", [0, 1], 2);
        double expected = (Math.Log(4) + Math.Log(1 + Math.Exp(-1))) / 2;
        var loss = Catalog.CrossEntropy(labelSmoothing: 0.1, classWeights: [1, 1]);
        double smooth = ((Math.Log(4) + Math.Log(4.0 / 3)) + (Math.Log(1 + Math.Exp(1)) + Math.Log(1 + Math.Exp(-1)))) / 2 / 2;
        Compare.Close([0.9 * expected + 0.1 * smooth], Run(loss, p, labels), 1e-12);
        Compare.Close([2.5], Run(Catalog.MeanSquaredError(), HostTensor.F64("p", [1, 2], 2), HostTensor.F64("t", [0, 0], 2)), 1e-15);
    }
}
