using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Session;
using OnnxKit.Training.Session.Lowering;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>
/// The CPU fast path that runs a training step's convolutions on ORT's blocked-layout (NCHWc) kernels: the lowered
/// graph must compute what the standard <c>Conv</c> computes, for every case it claims, and leave the rest alone.
/// </summary>
[TestClass]
public sealed class BlockedConvolutionTests
{
    private static int Block()
    {
        int b = NchwcRuntime.BlockSize;
        if (b == 0) Assert.Inconclusive("this ONNX Runtime build has no NCHWc kernels on this CPU; the standard Conv path is used");
        return b;
    }

    [TestMethod]
    public void ProbeFindsAPowerOfTwoBlockOnX64()
    {
        int b = NchwcRuntime.BlockSize;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) Assert.IsTrue(b is 8 or 16, $"block {b}: ORT's x64 math library blocks by 8 (AVX2) or 16 (AVX-512)");
        else Assert.IsTrue(b == 0 || (b >= 4 && (b & (b - 1)) == 0), $"block {b}");
    }

    [TestMethod]
    public void LoweredConvolutionsComputeWhatStandardConvDoes()
    {
        int b = Block();
        long c = 2 * b, o = 2 * b;
        var g = new GraphBuilder("convs");
        var x = g.Input("x", ElementType.Float32, "batch", c, 9, 11);
        var rgb = g.Input("rgb", ElementType.Float32, "batch", 3, 8, 8);
        var w3 = g.Input("w3", ElementType.Float32, o, c, 3, 3);
        var w1 = g.Input("w1", ElementType.Float32, o, c, 1, 1);
        var wFirst = g.Input("w_first", ElementType.Float32, b, 3, 3, 2);
        var bias = g.Input("bias", ElementType.Float32, o);
        var wGroups = g.Input("w_groups", ElementType.Float32, o, c / 2, 3, 3);
        var wOdd = g.Input("w_odd", ElementType.Float32, 12, c, 3, 3);
        // Eligible: padded 3×3 with bias, strided with uneven pads, dilated, pointwise strided, the same weight twice,
        // and a first layer with fewer input channels than a block (read in NCHW) and a non-square kernel.
        g.Output(Op.Conv(x, w3, bias, pads: [1, 1, 1, 1]), "padded");
        g.Output(Op.Conv(x, w3, strides: [2, 2], pads: [0, 1, 1, 0]), "strided");
        g.Output(Op.Conv(x, w3, dilations: [2, 2], pads: [2, 2, 2, 2]), "dilated");
        g.Output(Op.Conv(x, w1, strides: [2, 2]), "pointwise");
        g.Output(Op.Conv(rgb, wFirst, pads: [1, 0, 1, 1]), "first");
        // Stride-1 transposed convolutions (input gradients): padded with bias, full (no pads), dilated with uneven pads,
        // and one whose input has fewer channels than a block. Their weights are [in, out, kh, kw].
        var wT = g.Input("w_t", ElementType.Float32, c, o, 3, 3);
        var wTFirst = g.Input("w_t_first", ElementType.Float32, 3, b, 2, 3);
        g.Output(Op.ConvTranspose(x, wT, bias, pads: [1, 1, 1, 1]), "transposed_padded");
        g.Output(Op.ConvTranspose(x, wT), "transposed_full");
        g.Output(Op.ConvTranspose(x, wT, dilations: [2, 2], pads: [1, 0, 2, 3]), "transposed_dilated");
        g.Output(Op.ConvTranspose(rgb, wTFirst, pads: [0, 1, 1, 0]), "transposed_first");
        // Not eligible: two groups; output channels not a multiple of the block; a strided transposed convolution; a
        // transposed one padded more than its kernel spans.
        g.Output(Op.Conv(x, wGroups, pads: [1, 1, 1, 1], group: 2), "grouped");
        g.Output(Op.Conv(x, wOdd, pads: [1, 1, 1, 1]), "odd");
        g.Output(Op.ConvTranspose(x, wT, strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1]), "transposed_strided");
        g.Output(Op.ConvTranspose(x, wT, pads: [3, 0, 0, 0]), "transposed_overpadded");
        var standard = g.Build();
        var lowered = OnnxModel.FromBytes(standard.ToBytes());

        Assert.AreEqual(9, NchwcConvolutions.Apply(lowered, b), "nine of the thirteen convolutions qualify");
        Assert.AreEqual(2, lowered.Graph.Nodes.Count(n => n.OpType == "Conv" && n.Domain.Length == 0), "the grouped and the odd convolution stay standard");
        Assert.AreEqual(2, lowered.Graph.Nodes.Count(n => n.OpType == "ConvTranspose"), "the strided and the over-padded transposed convolution stay");
        Assert.AreEqual(9, lowered.Graph.Nodes.Count(n => n.OpType == "Conv" && n.Domain == NchwcConvolutions.Domain));
        Assert.AreEqual(1, lowered.Graph.Nodes.Count(n => n.OpType == "ReorderInput"), "x is reordered once for all its convolutions; the first layers read NCHW");

        var rnd = new Random(7);
        float[] R(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray();
        long n = 3;
        HostTensor[] inputs =
        [
            HostTensor.F32("x", R(n * c * 99), n, c, 9, 11), HostTensor.F32("rgb", R(n * 3 * 64), n, 3, 8, 8),
            HostTensor.F32("w3", R(o * c * 9), o, c, 3, 3), HostTensor.F32("w1", R(o * c), o, c, 1, 1),
            HostTensor.F32("w_first", R(b * 18), b, 3, 3, 2), HostTensor.F32("bias", R(o), o),
            HostTensor.F32("w_groups", R(o * c / 2 * 9), o, c / 2, 3, 3), HostTensor.F32("w_odd", R(12 * c * 9), 12, c, 3, 3),
            HostTensor.F32("w_t", R(c * o * 9), c, o, 3, 3), HostTensor.F32("w_t_first", R(3 * b * 6), 3, b, 2, 3),
        ];
        var expected = OrtRun.Run(standard, inputs);
        var actual = OrtRun.Run(lowered, inputs);
        foreach (var (name, t) in expected)
        {
            CollectionAssert.AreEqual(t.Shape, actual[name].Shape, name);
            Compare.Close(t.Floats, actual[name].Floats, 1e-4, 1e-4, name);
        }
    }

    [TestMethod]
    public void AGraphThatCannotBeTypedIsHandedOnUnchanged()
    {
        // Out of topological order: the convolution reads a value produced after it, so it cannot be typed here.
        var g = new GraphBuilder("unordered");
        var x = g.Input("x", ElementType.Float32, 1, 16, 5, 5);
        var w = g.Input("w", ElementType.Float32, 16, 16, 3, 3);
        g.Output(Op.Conv(Op.Relu(x), w, pads: [1, 1, 1, 1]), "y");
        var model = g.Build();
        model.Graph.Nodes.Reverse();
        byte[] bytes = model.ToBytes();
        Assert.AreSame(bytes, NchwcConvolutions.TryApply(bytes, 16));
        byte[] garbage = [1, 2, 3, 4, 5];
        Assert.AreSame(garbage, NchwcConvolutions.TryApply(garbage, 16));
    }

    [TestMethod]
    public void TrainingWithBlockedConvolutionsFollowsTheStandardTrajectory()
    {
        Block();
        var data = Datasets.FashionMnist(download: false).Train.Subset(Enumerable.Range(0, 256).ToArray());
        float[] Run(bool blocked, out List<double> losses)
        {
            var model = new Sequential(
                new Reshape(1, 28, 28),
                new Conv2d(1, 16, 3, padding: 1), new BatchNorm2d(16), new ReLU(),
                new Conv2d(16, 32, 3, stride: 2, padding: 1), new ReLU(),
                new Conv2d(32, 32, 3, padding: 1), new ReLU(),
                new GlobalAvgPool(keepDims: false), new Dense(10)) { Seed = 11 };
            using var learner = new Learner(model, OptimizerCatalog.Sgd(0.05, momentum: 0.9), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), [],
                new TrainingSessionOptions { IntraOpThreads = 1, BlockedConvolutions = blocked });
            var history = learner.Fit(data, new FitOptions { Epochs = 2, BatchSize = 64, Seed = 3 });
            losses = history.Epochs.Select(e => e.TrainLoss).ToList();
            // The rewrite lives only in what ORT was handed: the artifacts stay standard ONNX.
            foreach (var graph in new[] { learner.Artifacts!.TrainStep, learner.Artifacts.Eval })
            {
                Assert.IsFalse(graph.Opsets.ContainsKey(NchwcConvolutions.Domain), "artifact imports the NCHWc domain");
                Assert.IsTrue(graph.Graph.Nodes.All(n => n.Domain.Length == 0), "artifact nodes are all standard");
                Assert.AreEqual(3, graph.Graph.Nodes.Count(n => n.OpType == "Conv" && n.Inputs[1].EndsWith("weight", StringComparison.Ordinal)) , "forward convolutions");
            }
            return learner.Predict(data.Subset(Enumerable.Range(0, 32).ToArray()));
        }
        var standard = Run(false, out var standardLosses);
        var blocked = Run(true, out var blockedLosses);
        Assert.IsTrue(standardLosses[1] < standardLosses[0], "the reference run learns");
        for (int e = 0; e < 2; e++) Assert.AreEqual(standardLosses[e], blockedLosses[e], 1e-5 * Math.Abs(standardLosses[e]), $"epoch {e} loss");
        // SGD keeps rounding differences linear (Adam's division by √v would amplify them in near-zero gradients).
        Compare.Close(standard, blocked, 1e-4, 1e-4, "predictions after 8 steps");
    }
}
