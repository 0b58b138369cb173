using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Bad requests fail naming what is wrong; frozen parts get no gradient nodes; imported graphs work.</summary>
[TestClass]
public sealed class GradientErrorTests
{
    private static (GraphBuilder G, Value Loss) Small()
    {
        var g = new GraphBuilder("small");
        var x = g.Input("x", ElementType.Float32, "batch", 3);
        var w = g.Initializer(TensorData.FromFloats("fc.weight", [1, 2, 3, 4, 5, 6], 3, 2));
        var y = Op.MatMul(x, w);
        return (g, Op.MatMul(Op.Reshape(y, -1), Op.Reshape(y, -1)));
    }

    [TestMethod]
    public void NonScalarLossNamesItsShape()
    {
        var (g, _) = Small();
        var y = Op.MatMul(g["x"], g["fc.weight"]);
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g, y, ["fc.weight"]));
        StringAssert.Contains(e.Message, "[batch, 2]");
        StringAssert.Contains(e.Message, "scalar");
    }

    [TestMethod]
    public void UnknownNameListsCloseNames()
    {
        var (g, loss) = Small();
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g, loss, ["fc.weigth"]));
        StringAssert.Contains(e.Message, "'fc.weigth'");
        StringAssert.Contains(e.Message, "'fc.weight'");
    }

    [TestMethod]
    public void IntegerParameterCannotBeTrained()
    {
        var (g, loss) = Small();
        g.Initializer(TensorData.FromInt64s("steps", [1], 1));
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g, loss, ["steps"]));
        StringAssert.Contains(e.Message, "integer parameters cannot be trained");
    }

    [TestMethod]
    public void UnreachableParameterIsNamed()
    {
        var (g, loss) = Small();
        g.Initializer(TensorData.FromFloats("unused.bias", [0, 0], 2));
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g, loss, ["unused.bias"]));
        StringAssert.Contains(e.Message, "'unused.bias'");
        StringAssert.Contains(e.Message, "does not depend");
    }

    [TestMethod]
    public void OpWithoutRuleIsNamed()
    {
        var g = new GraphBuilder("norule");
        var x = g.Input("x", ElementType.Float32, 4);
        var y = g.Node("Mod", [x, x], 1, [Attr.Int("fmod", 1)], name: "remainder")[0];
        var loss = Op.MatMul(x, Op.Reshape(y, -1));
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g, loss, ["x"]));
        Assert.IsTrue(e.Message.Contains("no gradient rule for op 'Mod' (node 'remainder')"), e.Message);
    }

    [TestMethod]
    public void StopGradientAndFrozenPartsAddNoNodes()
    {
        var g = new GraphBuilder("frozen");
        var x = g.Input("x", ElementType.Float32, "batch", 4);
        var w1 = g.Initializer(TensorData.FromFloats("w1", Enumerable.Range(0, 16).Select(i => i * 0.1f).ToArray(), 4, 4));
        var w2 = g.Initializer(TensorData.FromFloats("w2", Enumerable.Range(0, 4).Select(i => i * 0.3f).ToArray(), 4));
        var h = Op.Relu(Op.MatMul(x, w1)); // frozen first layer
        var loss = Op.MatMul(Op.Reshape(Op.MatMul(h, w2), -1), Op.Reshape(Op.MatMul(h, w2), -1));
        int before = g.Graph.Nodes.Count;
        var grads = Gradients.Build(g, loss, ["w2"]);
        var added = g.Graph.Nodes.Skip(before).ToList();
        Assert.IsFalse(added.Any(n => n.OpType == "Where"), "no ReLU gradient is built for a frozen layer");
        Assert.IsFalse(added.Any(n => n.Inputs.Contains("w1")), "nothing reads the frozen weight");
        Assert.AreEqual(1, grads.Count);

        // stopGradient cuts the path: w1 then does not reach the loss.
        var g2 = new GraphBuilder("stopped");
        var x2 = g2.Input("x", ElementType.Float32, "batch", 4);
        var v1 = g2.Initializer(TensorData.FromFloats("w1", new float[16], 4, 4));
        var hid = Op.MatMul(x2, v1);
        var l2 = Op.MatMul(Op.Reshape(hid, -1), Op.Reshape(hid, -1));
        Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g2, l2, ["w1"], stopGradient: [hid.Name]));
    }

    /// <summary>An imported model (saved and loaded back, types re-inferred by Attach) gets the same gradient as hand math.</summary>
    [TestMethod]
    public void ImportedModelGetsGradients()
    {
        var g = new GraphBuilder("exported");
        var x = g.Input("x", ElementType.Float32, "batch", 2);
        var w = g.Initializer(TensorData.FromFloats("w", [1, -2, 3, 0.5f], 2, 2));
        g.Output(Op.Tanh(Op.MatMul(x, w)), "y");
        var imported = OnnxModel.FromBytes(g.Build().ToBytes());

        var a = GraphBuilder.Attach(imported);
        var y = a["y"];
        var loss = Op.MatMul(Op.Reshape(y, -1), Op.Reshape(y, -1)); // Σ y²
        a.Output(loss, "loss");
        a.Output(Gradients.Build(a, loss, ["w"])["w"], "dw");
        var xs = new float[] { 0.5f, -1f, 0.25f, 2f };
        var r = OrtRun.Run(a.Build(), HostTensor.F32("x", xs, 2, 2));
        // dL/dw[k,j] = Σ_b 2·y[b,j]·(1 − y[b,j]²)·x[b,k]
        float[] wv = [1, -2, 3, 0.5f];
        var expected = new float[4];
        for (int b = 0; b < 2; b++)
            for (int j = 0; j < 2; j++)
            {
                double yy = Math.Tanh(xs[b * 2] * wv[j] + xs[b * 2 + 1] * wv[2 + j]);
                for (int k = 0; k < 2; k++) expected[k * 2 + j] += (float)(2 * yy * (1 - yy * yy) * xs[b * 2 + k]);
            }
        Compare.Close(expected, r["dw"].Floats, 1e-5, 1e-5, "dw");
    }
}

/// <summary>The registry holds a rule for every operator the brief lists, and the ReLU gradient stays one Greater and one Where.</summary>
[TestClass]
public sealed class GradientRegistryTests
{
    [TestMethod]
    public void RegistryCoversTheRequiredOperators()
    {
        string[] required =
        [
            "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Sqrt", "Exp", "Log", "Abs", "Reciprocal", "Erf", "Tanh", "Sigmoid", "Relu", "LeakyRelu",
            "Elu", "Selu", "Softplus", "PRelu", "Clip", "Max", "Min", "Sum", "Mean", "MatMul", "Gemm", "Einsum", "Conv", "ConvTranspose",
            "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "LayerNormalization", "Dropout", "Softmax", "LogSoftmax",
            "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceSumSquare", "Reshape",
            "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather", "Expand", "Tile", "Pad", "Where", "Cast", "Identity",
        ];
        var missing = required.Where(op => GradientRegistry.Find(op) is null).ToList();
        Assert.AreEqual(0, missing.Count, "missing rules: " + string.Join(", ", missing));
        foreach (var op in new[] { "Shape", "Size", "Constant", "Equal", "Greater", "ArgMax" })
            Assert.IsTrue(GradientRegistry.NonDifferentiable.Contains(op), op);
    }

    [TestMethod]
    public void ReluGradientIsAMaskMultiply()
    {
        var g = new GraphBuilder("relu");
        var x = g.Input("x", ElementType.Float32, "batch", 8);
        var y = Op.Relu(x);
        var loss = Op.MatMul(Op.Reshape(y, -1), Op.Reshape(x, -1));
        var before = g.Graph.Nodes.Count;
        Gradients.Build(g, loss, ["x"]);
        var added = g.Graph.Nodes.Skip(before).ToList();
        Assert.AreEqual(1, added.Count(n => n.OpType == "Greater"));
        Assert.AreEqual(1, added.Count(n => n.OpType == "Cast"));
        Assert.AreEqual(0, added.Count(n => n.OpType is "Where" or "Sign"));
    }

    /// <summary>
    /// ReLU → MaxPool with non-overlapping windows: no index scatter (the forward MaxPool keeps a single output), and the
    /// ReLU's mask is folded into the pooling gradient, so no Greater on the full-size activation.
    /// </summary>
    [TestMethod]
    public void ReluMaxPoolGradientComparesWithTheUpsampledMaximum()
    {
        var g = new GraphBuilder("relu_pool");
        var x = g.Input("x", ElementType.Float32, "batch", 3, 7, 7);
        var pooled = Op.MaxPool(Op.Relu(x), [2, 2], [2, 2]);
        var loss = Op.ReduceSum(pooled * pooled, keepDims: false);
        var before = g.Graph.Nodes.Count;
        Gradients.Build(g, loss, ["x"]);
        var added = g.Graph.Nodes.Skip(before).ToList();
        Assert.AreEqual(0, added.Count(n => n.OpType is "ScatterElements" or "Greater" or "Where"), string.Join(", ", added.Select(n => n.OpType)));
        Assert.AreEqual(2, added.Count(n => n.OpType == "Resize"));
        Assert.AreEqual(1, added.Count(n => n.OpType == "Pad"), "7×7 pooled by 2 leaves a tail row and column, padded once");
        Assert.AreEqual(1, g.Graph.Nodes.Single(n => n.OpType == "MaxPool").Outputs.Count(o => o.Length > 0));
    }

    /// <summary>A MaxPool not fed by a ReLU, or in float64, keeps the index formulation (ties go to one cell).</summary>
    [TestMethod]
    [DataRow(false, ElementType.Float32)]
    [DataRow(true, ElementType.Float64)]
    public void OtherMaxPoolsScatterThroughTheirIndices(bool relu, ElementType type)
    {
        var g = new GraphBuilder("pool");
        var x = g.Input("x", type, "batch", 3, 8, 8);
        var pooled = Op.MaxPool(relu ? Op.Relu(x) : x, [2, 2], [2, 2]);
        var loss = Op.ReduceSum(pooled, keepDims: false);
        Gradients.Build(g, loss, ["x"]);
        Assert.AreEqual(1, g.Graph.Nodes.Count(n => n.OpType == "ScatterElements"));
    }

    /// <summary>A static-size, single-group convolution's weight gradient is one Gemm over the unfolded input, not a Conv.</summary>
    [TestMethod]
    public void ConvWeightGradientIsOneGemm()
    {
        // 9×9 input, stride 2: a 5×5 output, small enough (≤ BatchGemmMaxPositions) for the forward convolution to
        // become a GEMM over the weight gradient's unfold; 20×20 at stride 1 keeps its Conv.
        foreach (var (size, stride, forwardGemm) in new[] { (9L, 2L, true), (20L, 1L, false) })
        {
            var g = new GraphBuilder("conv");
            var x = g.Input("x", ElementType.Float32, "batch", 3, size, size);
            var w = g.Input("w", ElementType.Float32, 4, 3, 3, 3);
            var y = Op.Conv(x, w, pads: [1, 1, 1, 1], strides: [stride, stride]);
            var loss = Op.ReduceSum(y * y, keepDims: false);
            Gradients.Build(g, loss, ["w"]);
            var nodes = g.Graph.Nodes;
            Assert.AreEqual(forwardGemm ? 2 : 1, nodes.Count(n => n.OpType == "Gemm"), $"{size}×{size}: GEMMs");
            Assert.AreEqual(forwardGemm ? 0 : 1, nodes.Count(n => n.OpType is "Conv" or "ConvTranspose"), $"{size}×{size}: convolutions");
            Assert.AreEqual(1, nodes.Count(n => n.OpType == "Gather"), $"{size}×{size}: one unfold, shared");
            g.Graph.Validate();
        }
    }
}

/// <summary>A rule registered for a custom-domain operator is used.</summary>
[TestClass]
public sealed class CustomRuleTests
{
    [TestMethod]
    public void RegisteredRuleForCustomOpIsUsed()
    {
        GradientRegistry.Register("com.example.Double", g => g.InputGrad(0, g.Dy * g.C(2)));
        var gb = new GraphBuilder("custom");
        var x = gb.Input("x", ElementType.Float32, 3);
        var y = gb.Node("Double", [x], 1, domain: "com.example", outputTypes: [new TensorType(ElementType.Float32, Shape.Of(3))])[0];
        var grads = Gradients.Build(gb, Op.MatMul(y, x), ["x"]);
        // d(Σ 2x·x)/dx = 2x + 2x: the registered rule contributes dy·2 = 2x along the custom path.
        var added = gb.Graph.Nodes.Where(n => n.OpType == "Mul").ToList();
        Assert.IsTrue(added.Count >= 1);
        Assert.IsNotNull(grads["x"]);
        Assert.IsTrue(GradientRegistry.Operators.Contains("com.example.Double"));
    }
}
