using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the normalization rules (BatchNormalization in both forms and its batch-statistics pattern, LayerNormalization, InstanceNormalization) and Dropout; see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class NormalizationGradTests
{
    // m = mean(x), v = mean((x − m)²) over `axes`, then BatchNormalization(x, γ, β, m, v) in inference form.
    private static Value BatchStatisticsNorm(Value x, Value scale, Value bias, long[] axes)
    {
        var mean = Op.ReduceMean(x, axes, keepDims: true);
        var centered = x - mean;
        var variance = Op.ReduceMean(centered * centered, axes, keepDims: true);
        return Op.BatchNormalization(x, scale, bias, Op.Reshape(mean, -1), Op.Reshape(variance, -1));
    }

    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
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
        ["Dropout_inference"] = new([In.Of("x", 3, 4)], (g, x) => Op.Dropout(x[0], 0.3, training: false)[0] * x[0]),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);

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
            var bn = new OnnxKit.BatchNorm2d(3);
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
