using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

[TestClass]
public sealed class LayersNormalizationTests
{
    // Non-default statistics and affine parameters, so every term of the formulas is exercised.
    private static T Randomized<T>(T bn, int seed) where T : BatchNormNd
    {
        long c = bn.NumFeatures;
        bn.RunningMean.Data = LayersTesting.Randn(seed, [c], 0.5f);
        bn.RunningVar.Data = LayersTesting.Randn(seed + 1, [c]).Select(v => 0.5f + Math.Abs(v)).ToArray();
        if (bn.Weight is not null) bn.Weight.Data = LayersTesting.Randn(seed + 2, [c]).Select(v => 1 + 0.3f * v).ToArray();
        if (bn.Bias is not null) bn.Bias.Data = LayersTesting.Randn(seed + 3, [c], 0.3f);
        return bn;
    }

    // A training graph: output y plus the buffer updates as outputs "rm"/"rv".
    private static OnnxModel TrainingGraph(BatchNormNd bn, Dim[] inputDims)
    {
        var g = new GraphBuilder("bn_train") { Training = true };
        g.Output(bn.Call(g.Input("x", ElementType.Float32, inputDims)), "y");
        Assert.AreEqual(2, g.BufferUpdates.Count);
        g.Output(g.BufferUpdates[bn.RunningMean.FullName], "rm");
        g.Output(g.BufferUpdates[bn.RunningVar.FullName], "rv");
        return LayersTesting.Finish(g);
    }

    private static (string, string)[] TrainOutputs => [("y", "m(x)"), ("rm", "m.running_mean"), ("rv", "m.running_var")];

    [TestMethod]
    public void BatchNormInferenceUsesRunningStatisticsLikePyTorch()
    {
        new TorchCheck()
            .Layer("bn2d_eval", Randomized(new BatchNorm2d(3), 10), "nn.BatchNorm2d(3)", [2, 3, 4, 5], scale: 2)
            .Layer("bn1d_eval_2d", Randomized(new BatchNorm1d(5), 20), "nn.BatchNorm1d(5)", [4, 5], scale: 2)
            .Layer("bn1d_eval_3d", Randomized(new BatchNorm1d(4, eps: 1e-3f), 30), "nn.BatchNorm1d(4, eps=1e-3)", [2, 4, 6], scale: 2)
            .Layer("bn2d_eval_no_affine", Randomized(new BatchNorm2d(3, affine: false), 40), "nn.BatchNorm2d(3, affine=False)", [2, 3, 3, 3], scale: 2)
            .Run();
    }

    [TestMethod]
    public void BatchNormTrainingUsesBatchStatisticsAndUpdatesRunningStatsLikePyTorch()
    {
        static HostTensor X(int seed, long[] s) => HostTensor.F32("x", LayersTesting.Randn(seed, s, 2f).Select(v => v + 0.7f).ToArray(), s);
        new TorchCheck()
            .Add("bn2d_train", TrainingGraph(Randomized(new BatchNorm2d(3), 11), [2, 3, 4, 5]), "nn.BatchNorm2d(3)", [X(1, [2, 3, 4, 5])], TrainOutputs, train: true)
            // Symbolic batch: the element count for the unbiased variance is read at run time.
            .Add("bn2d_train_symbolic", TrainingGraph(Randomized(new BatchNorm2d(3, momentum: 0.3f), 12), ["N", 3, "H", 5]), "nn.BatchNorm2d(3, momentum=0.3)",
                [X(2, [3, 3, 2, 5])], TrainOutputs, train: true)
            .Add("bn1d_train_2d", TrainingGraph(Randomized(new BatchNorm1d(5), 13), ["N", 5]), "nn.BatchNorm1d(5)", [X(3, [6, 5])], TrainOutputs, train: true)
            .Add("bn1d_train_3d", TrainingGraph(Randomized(new BatchNorm1d(4, affine: false), 14), [2, 4, 7]), "nn.BatchNorm1d(4, affine=False)", [X(4, [2, 4, 7])], TrainOutputs, train: true)
            .Add("bn2d_train_after_conv", ConvBnTraining(), "nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU())", [X(5, [4, 2, 5, 5])],
                [("y", "m(x)"), ("rm", "m[1].running_mean"), ("rv", "m[1].running_var")], train: true)
            .Run();
    }

    // BatchNorm fed by a Conv whose output shape may not be inferred: the element count is then read at run time.
    private static OnnxModel ConvBnTraining()
    {
        var bn = Randomized(new BatchNorm2d(3), 15);
        var seq = new Sequential(new Conv2d(2, 3, 3, padding: 1), bn, new ReLU());
        var g = new GraphBuilder("conv_bn_train") { Training = true };
        g.Output(seq.Call(g.Input("x", ElementType.Float32, "N", 2, 5, 5)), "y");
        g.Output(g.BufferUpdates["1.running_mean"], "rm");
        g.Output(g.BufferUpdates["1.running_var"], "rv");
        return LayersTesting.Finish(g);
    }

    [TestMethod]
    public void OrtTrainingModeBatchNormUsesTheBiasedVarianceForItsRunningVariance()
    {
        // Why BatchNorm's training form is written with plain ops: on channel values 1, 2, 3, 4 (biased variance 1.25,
        // unbiased 5/3) ORT's training mode with momentum 0.9 gives 0.9·1 + 0.1·1.25 = 1.025, not PyTorch's 1.0667.
        var g = new GraphBuilder("ort_bn");
        var x = g.Input("x", ElementType.Float32, 4, 1);
        Value P(string n, float v) => g.Initializer(TensorData.FromFloats(n, [v], 1));
        var o = Op.BatchNormalizationTraining(x, P("s", 1), P("b", 0), P("m", 0), P("v", 1), 1e-5f, 0.9f);
        g.Output(o[1], "rm"); g.Output(o[2], "rv");
        var outs = OrtRun.Run(LayersTesting.Finish(g), HostTensor.F32("x", [1, 2, 3, 4], 4, 1));
        Compare.Close(new float[] { 0.25f }, outs["rm"].Floats, 1e-6);
        Compare.Close(new float[] { 1.025f }, outs["rv"].Floats, 1e-6);
    }

    [TestMethod]
    public void BatchNormRefusesInputsOfTheWrongRankOrChannels()
    {
        var g = new GraphBuilder("bad");
        var seq = new Sequential(new BatchNorm2d(3));
        var e = Assert.ThrowsExactly<GraphBuildException>(() => seq.Call(g.Input("x", ElementType.Float32, "N", 3, 4)));
        StringAssert.Contains(e.Message, "BatchNorm2d '0'");
        StringAssert.Contains(e.Message, "rank 4");
        e = Assert.ThrowsExactly<GraphBuildException>(() => new BatchNorm1d(3).Call(g.Input("y", ElementType.Float32, "N", 4)));
        StringAssert.Contains(e.Message, "3 channels");
    }

    [TestMethod]
    public void LayerNormMatchesPyTorch()
    {
        static LayerNorm Affine(LayerNorm ln, int seed)
        {
            ln.Weight!.Data = LayersTesting.Randn(seed, ln.NormalizedShape).Select(v => 1 + 0.3f * v).ToArray();
            ln.Bias!.Data = LayersTesting.Randn(seed + 1, ln.NormalizedShape, 0.3f);
            return ln;
        }
        new TorchCheck()
            .Layer("layernorm_last", Affine(new LayerNorm(8), 50), "nn.LayerNorm(8)", [2, 5, 8], scale: 3)
            .Layer("layernorm_two_axes", Affine(new LayerNorm([4, 6], eps: 1e-3f), 60), "nn.LayerNorm([4, 6], eps=1e-3)", [2, 3, 4, 6], scale: 3)
            .Layer("layernorm_no_affine", new LayerNorm(7, elementwiseAffine: false), "nn.LayerNorm(7, elementwise_affine=False)", [3, 7], scale: 3)
            .Run();
        var e = Assert.ThrowsExactly<GraphBuildException>(() => new LayerNorm(8).Call(new GraphBuilder("bad").Input("x", ElementType.Float32, 2, 7)));
        StringAssert.Contains(e.Message, "trailing axes [8]");
    }
}
