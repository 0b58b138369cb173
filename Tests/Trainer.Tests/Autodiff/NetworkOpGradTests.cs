using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>
/// Finite-difference checks of convolution, pooling, normalization and loss rules. ONNX Runtime 1.31's CPU provider
/// has no float64 kernel for Conv, ConvTranspose, AveragePool, BatchNormalization (and Erf, Elu, Selu, Softplus,
/// Softsign, HardSigmoid, Mean, Einsum): those cases run in float32 with central differences of step 1e-2 and rtol 1e-2.
/// GlobalAveragePool and GlobalMaxPool too. The others run in float64 (step 1e-6, rtol 1e-5).
/// </summary>
[TestClass]
public sealed class NetworkOpGradTests
{
    private static readonly Dim U = Dim.Unknown;
    private static readonly Func<double, double> Positive = v => Math.Abs(v) + 0.5;
    // ±0.05, ±0.10, … in a fixed shuffled order with alternating-ish signs.
    private static double[] SpacedValues(int n)
    {
        var rnd = new Random(7);
        return Enumerable.Range(1, n).Select(k => k * 0.05 * (rnd.Next(3) == 0 ? -1 : 1)).OrderBy(_ => rnd.Next()).ToArray();
    }

    // m = mean(x), v = mean((x − m)²) over `axes`, then BatchNormalization(x, γ, β, m, v) in inference form.
    private static Value BatchStatisticsNorm(Value x, Value scale, Value bias, long[] axes)
    {
        var mean = Op.ReduceMean(x, axes, keepDims: true);
        var centered = x - mean;
        var variance = Op.ReduceMean(centered * centered, axes, keepDims: true);
        return Op.BatchNormalization(x, scale, bias, Op.Reshape(mean, -1), Op.Reshape(variance, -1));
    }

    private static In Labels(string name, double[] data, params Dim[] dims) => In.Of(name, dims) with { Int64 = true, Data = data };

    private static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["Conv2d_stride_pads_bias"] = new([In.Of("x", "N", 2, 5, 5), In.Of("w", 3, 2, 3, 3), In.Of("b", 3)],
            (g, x) => Op.Conv(x[0], x[1], x[2], strides: [2, 2], pads: [1, 1, 1, 1])) { Float32 = true },
        ["Conv2d_unreached_tail"] = new([In.Of("x", 1, 2, 6, 6), In.Of("w", 2, 2, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2])) { Float32 = true },
        ["Conv1d_dilation"] = new([In.Of("x", 2, 2, 7), In.Of("w", 2, 2, 3), In.Of("b", 2)],
            (g, x) => Op.Conv(x[0], x[1], x[2], dilations: [2], pads: [1, 0])) { Float32 = true },
        ["Conv3d"] = new([In.Of("x", 1, 2, 3, 4, 4), In.Of("w", 2, 2, 2, 2, 2)],
            (g, x) => Op.Conv(x[0], x[1], strides: [1, 2, 2])) { Float32 = true },
        ["Conv2d_groups"] = new([In.Of("x", 2, 4, 5, 5), In.Of("w", 6, 2, 3, 3), In.Of("b", 6)],
            (g, x) => Op.Conv(x[0], x[1], x[2], pads: [1, 1, 1, 1], group: 2)) { Float32 = true },
        ["Conv2d_depthwise_stride"] = new([In.Of("x", 1, 3, 5, 5), In.Of("w", 3, 1, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2], group: 3)) { Float32 = true },
        ["Conv2d_unknown_spatial"] = new([In.Of("x", "N", 2, U, U).Feed(2, 2, 6, 6), In.Of("w", 2, 2, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2], pads: [0, 1, 0, 0])) { Float32 = true },
        // Stride 1 on 14×16 ≥ FlippedConvolutionMinPositions: the input gradient is a convolution with the flipped,
        // transposed kernel (a non-square kernel and uneven pads check both flips and the pad arithmetic).
        ["Conv2d_flipped_input_grad"] = new([In.Of("x", "N", 2, 14, 16).Feed(1, 2, 14, 16), In.Of("w", 3, 2, 3, 5), In.Of("b", 3)],
            (g, x) => Op.Conv(x[0], x[1], x[2], pads: [1, 2, 0, 1])) { Float32 = true },
        // Stride 1 on 6×7 ≤ BatchGemmMaxPositions: the forward and the input gradient (the flipped convolution) both run as
        // one GEMM over an unfold.
        ["Conv2d_small_stride1"] = new([In.Of("x", "N", 3, 6, 7).Feed(2, 3, 6, 7), In.Of("w", 4, 3, 3, 2), In.Of("b", 4)],
            (g, x) => Op.Conv(x[0], x[1], x[2], pads: [1, 0, 1, 1])) { Float32 = true },
        ["Conv2d_same_upper"] = new([In.Of("x", 1, 2, 5, 5), In.Of("w", 2, 2, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2], autoPad: "SAME_UPPER")) { Float32 = true },
        ["ConvTranspose_stride_pads"] = new([In.Of("x", 1, 2, 3, 3), In.Of("w", 2, 3, 3, 3), In.Of("b", 3)],
            (g, x) => Op.ConvTranspose(x[0], x[1], x[2], strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1])) { Float32 = true },
        ["ConvTranspose_groups"] = new([In.Of("x", 2, 4, 3, 3), In.Of("w", 4, 1, 2, 2)],
            (g, x) => Op.ConvTranspose(x[0], x[1], strides: [2, 2], group: 2)) { Float32 = true },

        ["MaxPool"] = new([In.Of("x", "N", 2, 4, 4)], (g, x) => Op.MaxPool(x[0], [2, 2], [2, 2])),
        // ReLU → MaxPool takes the compare-with-upsampled-maximum formulation (float32 only); 5×5 leaves a tail row and
        // column. Values are distinct by 0.05 and at least 0.05 from zero, so the 1e-2 differences change no window's maximum
        // and cross no ReLU kink.
        ["MaxPool_after_relu_tail"] = new([In.Of("x", "N", 2, 5, 5).Feed(2, 2, 5, 5) with { Data = SpacedValues(100) }],
            (g, x) => Op.MaxPool(Op.Relu(x[0]), [2, 2], [2, 2])) { Float32 = true },
        ["MaxPool_overlapping_pads"] = new([In.Of("x", 1, 2, 5, 5)], (g, x) => Op.MaxPool(x[0], [3, 3], [1, 1], [1, 1, 1, 1])),
        ["AveragePool_exclude_pad"] = new([In.Of("x", 1, 2, 5, 5)], (g, x) => Op.AveragePool(x[0], [3, 3], [2, 2], [1, 1, 1, 1])) { Float32 = true },
        ["AveragePool_include_pad"] = new([In.Of("x", 1, 2, 5, 5)], (g, x) => Op.AveragePool(x[0], [3, 3], [2, 2], [1, 1, 1, 1], countIncludePad: true)) { Float32 = true },
        ["AveragePool_no_pad"] = new([In.Of("x", 2, 2, 4, 4)], (g, x) => Op.AveragePool(x[0], [2, 2], [2, 2])) { Float32 = true },
        ["AveragePool_unknown_spatial"] = new([In.Of("x", "N", 2, U, U).Feed(1, 2, 5, 5)], (g, x) => Op.AveragePool(x[0], [3, 3], [2, 2], [1, 0, 1, 0])) { Float32 = true },
        ["GlobalAveragePool"] = new([In.Of("x", "N", 3, 3, 4)], (g, x) => Op.GlobalAveragePool(x[0])) { Float32 = true },
        ["GlobalMaxPool"] = new([In.Of("x", 2, 3, 3, 3)], (g, x) => Op.GlobalMaxPool(x[0])) { Float32 = true },

        ["BatchNormalization_training"] = new([In.Of("x", "N", 3, 2, 2).Feed(3, 3, 2, 2), In.Of("scale", 3), In.Of("bias", 3), In.Of("mean", 3) with { Trainable = false }, In.Of("var", 3) with { Trainable = false, Map = Positive }],
            (g, x) => Op.BatchNormalizationTraining(x[0], x[1], x[2], x[3], x[4])[0]) { Float32 = true },
        // Momentum 0: the rule reads the batch statistics from the node's running-statistic outputs.
        ["BatchNormalization_training_momentum0"] = new([In.Of("x", 3, 3, 2, 2), In.Of("scale", 3), In.Of("bias", 3), In.Of("mean", 3) with { Trainable = false }, In.Of("var", 3) with { Trainable = false, Map = Positive }],
            (g, x) => Op.BatchNormalizationTraining(x[0], x[1], x[2], x[3], x[4], momentum: 0f)[0]) { Float32 = true },
        ["BatchNormalization_training_2d"] = new([In.Of("x", 4, 3), In.Of("scale", 3), In.Of("bias", 3), In.Of("mean", 3) with { Trainable = false }, In.Of("var", 3) with { Trainable = false, Map = Positive }],
            (g, x) => Op.BatchNormalizationTraining(x[0], x[1], x[2], x[3], x[4])[0]) { Float32 = true },
        // The pattern OnnxKit's BatchNorm layers train with: inference-form BatchNormalization fed with x's own batch
        // statistics; the rule recognises it and gives the closed-form gradient (BatchStatisticsPatternIsRecognised).
        ["BatchNormalization_batch_statistics"] = new([In.Of("x", "N", 3, 2, 2).Feed(3, 3, 2, 2), In.Of("scale", 3), In.Of("bias", 3)],
            (g, x) => BatchStatisticsNorm(x[0], x[1], x[2], [0, 2, 3])) { Float32 = true },
        ["BatchNormalization_batch_statistics_2d"] = new([In.Of("x", 5, 4), In.Of("scale", 4), In.Of("bias", 4)],
            (g, x) => BatchStatisticsNorm(x[0], x[1], x[2], [0])) { Float32 = true },
        ["BatchNormalization_inference"] = new([In.Of("x", 2, 3, 2, 2), In.Of("scale", 3), In.Of("bias", 3), In.Of("mean", 3), In.Of("var", 3) with { Map = Positive }],
            (g, x) => Op.BatchNormalization(x[0], x[1], x[2], x[3], x[4])) { Float32 = true },
        ["InstanceNormalization"] = new([In.Of("x", 2, 3, 2, 3), In.Of("scale", 3), In.Of("bias", 3)], (g, x) => Op.InstanceNormalization(x[0], x[1], x[2])) { Float32 = true },
        ["LayerNormalization"] = new([In.Of("x", "N", 3, 4), In.Of("scale", 4), In.Of("bias", 4)], (g, x) => Op.LayerNormalization(x[0], x[1], x[2])),
        ["LayerNormalization_axis1"] = new([In.Of("x", 2, 3, 4), In.Of("scale", 3, 4), In.Of("bias", 3, 4)], (g, x) => Op.LayerNormalization(x[0], x[1], x[2], axis: 1)),

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
        ["NegativeLogLikelihoodLoss_sum_spatial"] = new([In.Of("p", 2, 3, 2), Labels("y", [0, 2, 1, 1], 2, 2)],
            (g, x) => Op.NegativeLogLikelihoodLoss(x[0], x[1], reduction: "sum")),
    };

    [TestMethod]
    [DataRow("Conv2d_stride_pads_bias")] [DataRow("Conv2d_unreached_tail")] [DataRow("Conv1d_dilation")] [DataRow("Conv3d")] [DataRow("Conv2d_groups")]
    [DataRow("Conv2d_depthwise_stride")] [DataRow("Conv2d_unknown_spatial")] [DataRow("Conv2d_same_upper")] [DataRow("Conv2d_flipped_input_grad")]
    [DataRow("Conv2d_small_stride1")]
    [DataRow("ConvTranspose_stride_pads")] [DataRow("ConvTranspose_groups")]
    public void Convolution(string op) => GradCheck.Check(op, Cases[op]);

    [TestMethod]
    [DataRow("MaxPool")] [DataRow("MaxPool_after_relu_tail")] [DataRow("MaxPool_overlapping_pads")] [DataRow("AveragePool_exclude_pad")] [DataRow("AveragePool_include_pad")]
    [DataRow("AveragePool_no_pad")] [DataRow("AveragePool_unknown_spatial")] [DataRow("GlobalAveragePool")] [DataRow("GlobalMaxPool")]
    public void Pooling(string op) => GradCheck.Check(op, Cases[op]);

    [TestMethod]
    [DataRow("BatchNormalization_training")] [DataRow("BatchNormalization_training_2d")] [DataRow("BatchNormalization_inference")]
    [DataRow("BatchNormalization_batch_statistics")] [DataRow("BatchNormalization_batch_statistics_2d")]
    [DataRow("LayerNormalization")] [DataRow("LayerNormalization_axis1")] [DataRow("InstanceNormalization")]
    public void Normalization(string op) => GradCheck.Check(op, Cases[op]);

    [TestMethod]
    [DataRow("SoftmaxCrossEntropyLoss_mean")] [DataRow("SoftmaxCrossEntropyLoss_sum_weights")] [DataRow("SoftmaxCrossEntropyLoss_none_ignore")]
    [DataRow("SoftmaxCrossEntropyLoss_spatial_weights_ignore")] [DataRow("SoftmaxCrossEntropyLoss_log_prob_used")]
    [DataRow("NegativeLogLikelihoodLoss_mean_weights_ignore")] [DataRow("NegativeLogLikelihoodLoss_sum_spatial")]
    public void Losses(string op) => GradCheck.Check(op, Cases[op]);

    /// <summary>Dropout in training is random, so its gradient is checked against its own mask: dx = dy·mask/(1 − p).</summary>
    [TestMethod]
    public void DropoutGradientUsesTheForwardMask()
    {
        var g = new GraphBuilder("dropout");
        var x = g.Input("x", ElementType.Float32, 4, 50);
        var outs = Op.Dropout(x, 0.3, training: true, seed: 7);
        var loss = g.Output(Op.MatMul(Op.Reshape(x, -1), Op.Reshape(outs[0], -1)), "loss");
        var grads = Gradients.Build(g, loss, ["x"]);
        g.Output(grads["x"], "dx");
        g.Output(g.Graph.Nodes.First(n => n.OpType == "Dropout").Outputs[1] is { Length: > 0 } m ? g[m] : throw new AssertFailedException("mask output not added"), "mask");
        var model = g.Build();
        model.Graph.Outputs.Single(o => o.Name == "mask").Type.TensorType.ElemType = (int)ElementType.Bool;
        Assert.AreEqual(1, model.Graph.Nodes.Count(n => n.OpType == "Dropout"), "the gradient must reuse the forward Dropout, not add another");
        var data = Enumerable.Range(0, 200).Select(i => (float)Math.Sin(i) + 2f).ToArray();
        var r = OrtRun.Run(model, HostTensor.F32("x", data, 4, 50));
        var mask = (bool[])r["mask"].Data;
        Assert.IsTrue(mask.Count(b => !b) is > 20 and < 120, "dropout dropped about 30%");
        // loss = Σ dropout(x)·x, so dx = 2·x·mask/(1 − p).
        var expected = data.Select((v, i) => mask[i] ? 2 * v / 0.7f : 0f).ToArray();
        Compare.Close(expected, r["dx"].Floats, 1e-5, 1e-5, "dropout gradient");
    }

    /// <summary>
    /// The BatchNorm layer's training graph is differentiated through the closed form (no gradient enters the statistics'
    /// subgraph), and the gradients agree with the op-by-op ones of the same graph written without the pattern.
    /// </summary>
    [TestMethod]
    public void BatchStatisticsPatternIsRecognisedInTheLayersTrainingGraph()
    {
        (float[] Dx, float[] DScale, int Nodes) Grads(bool layer)
        {
            var g = new GraphBuilder("bn") { Training = true };
            var bn = new OnnxKit.Layers.BatchNorm2d(3);
            // The layer reads its parameters from graph inputs of their names.
            string scaleName = bn.Weight!.FullName, biasName = bn.Bias!.FullName;
            var x = g.Input("x", ElementType.Float32, "N", 3, 4, 5);
            var scale = g.Input(scaleName, ElementType.Float32, 3);
            var bias = g.Input(biasName, ElementType.Float32, 3);
            Value y;
            if (layer) y = bn.Call(x);
            else
            {
                // The same math, with the variance passed through Identity so the pattern is not recognised.
                var mean = Op.ReduceMean(x, [0, 2, 3], keepDims: true);
                var centered = x - mean;
                var variance = Op.Identity(Op.ReduceMean(centered * centered, [0, 2, 3], keepDims: true));
                y = Op.BatchNormalization(x, scale, bias, Op.Reshape(mean, -1), Op.Reshape(variance, -1));
            }
            var w = g.Constant(TensorData.FromFloats("w", Enumerable.Range(0, 120).Select(i => (float)Math.Cos(i * 0.7)).ToArray(), 2, 3, 4, 5));
            var loss = g.Output(Op.ReduceSum(y * y * w, keepDims: false), "loss");
            int before = g.Graph.Nodes.Count;
            var grads = Gradients.Build(g, loss, ["x", scaleName]);
            int added = g.Graph.Nodes.Count - before;
            g.Output(grads["x"], "dx");
            g.Output(grads[scaleName], "dscale");
            var data = Enumerable.Range(0, 120).Select(i => (float)(Math.Sin(i * 1.3) * 2 + i % 3)).ToArray();
            var r = OrtRun.Run(g.Build(), HostTensor.F32("x", data, 2, 3, 4, 5), HostTensor.F32(scaleName, [0.5f, 1.5f, -1f], 3), HostTensor.F32(biasName, [0.1f, 0f, -0.2f], 3));
            return (r["dx"].Floats, r["dscale"].Floats, added);
        }
        var closed = Grads(layer: true);
        var general = Grads(layer: false);
        Compare.Close(general.Dx, closed.Dx, 1e-4, 1e-4, "dx");
        Compare.Close(general.DScale, closed.DScale, 1e-4, 1e-4, "dscale");
        Assert.IsTrue(closed.Nodes < general.Nodes, $"closed form {closed.Nodes} gradient nodes, op-by-op {general.Nodes}");
    }
}
