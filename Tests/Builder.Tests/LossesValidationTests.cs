using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using Catalog = OnnxKit.Losses;

namespace OnnxKit.Tests;

/// <summary>Target types the trainer declares, and bad inputs failing with messages that name the loss and what was expected.</summary>
[TestClass]
public sealed class LossesValidationTests
{
    private static (GraphBuilder G, Value P) Prediction(ElementType et, params Dim[] dims)
    {
        var g = new GraphBuilder("bad_loss");
        return (g, g.Input("prediction", et, dims));
    }

    [TestMethod]
    public void TargetAndOutputTypesFollowThePrediction()
    {
        var logits = new TensorType(ElementType.Float32, new Shape("batch", 10));
        var sce = Catalog.SparseCategoricalCrossEntropy(fromLogits: true);
        Assert.AreEqual("int64[batch]", sce.TargetType(logits).ToString());
        Assert.AreEqual("float[]", sce.OutputType(logits).ToString());
        var image = new TensorType(ElementType.Float64, new Shape("batch", 5, 7, 9));
        Assert.AreEqual("int64[batch, 7, 9]", Catalog.NegativeLogLikelihood().TargetType(image).ToString());
        Assert.AreEqual("double[batch, 7, 9]", Catalog.CrossEntropy(reduction: Reduction.None).OutputType(image).ToString());
        Assert.AreEqual("double[batch, 5, 7, 9]", Catalog.CategoricalCrossEntropy(fromLogits: true).TargetType(image).ToString());
        Assert.AreEqual("float[batch, 10]", Catalog.MeanSquaredError().TargetType(logits).ToString());
        Assert.AreEqual("float[batch, 10]", Catalog.BinaryCrossEntropyWithLogits(reduction: Reduction.None).OutputType(logits).ToString());
        Assert.AreEqual("sparse_categorical_crossentropy", sce.Name);
        Assert.AreEqual("categorical_crossentropy", Catalog.CategoricalCrossEntropy(fromLogits: false).Name);

        // the loss value is typed even where no shape rule covers the reduction operators
        var (g, p) = Prediction(ElementType.Float64, "batch", 3);
        var loss = Catalog.KLDivergence(reduction: Reduction.BatchMean).Compute(p, g.Input("target", ElementType.Float64, "batch", 3));
        Assert.AreEqual("double[]", loss.Type.ToString());
        StringAssert.StartsWith(loss.Name, "kl_divergence/");
    }

    [TestMethod]
    public void FloatLabelsForSparseCrossEntropyFailNamingTheLossAndInt64()
    {
        var (g, p) = Prediction(ElementType.Float32, "batch", 10);
        var y = g.Input("labels", ElementType.Float32, "batch");
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.SparseCategoricalCrossEntropy(fromLogits: true).Compute(p, y));
        StringAssert.Contains(e.Message, "sparse_categorical_crossentropy");
        StringAssert.Contains(e.Message, "'labels'");
        StringAssert.Contains(e.Message, "expected int64[batch]");
        StringAssert.Contains(e.Message, "class indices");
    }

    [TestMethod]
    public void OneHotTargetForSparseCrossEntropyFailsNamingTheExpectedShape()
    {
        var (g, p) = Prediction(ElementType.Float32, "batch", 10);
        var y = g.Input("labels", ElementType.Int64, "batch", 10);
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.CrossEntropy().Compute(p, y));
        StringAssert.Contains(e.Message, "int64[batch, 10]");
        StringAssert.Contains(e.Message, "expected int64[batch]");
    }

    [TestMethod]
    public void MatrixTargetForMseOnAVectorFailsNamingTheExpectedShape()
    {
        var (g, p) = Prediction(ElementType.Float32, "N");
        var y = g.Input("y", ElementType.Float32, "N", 4);
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.MeanSquaredError().Compute(p, y));
        StringAssert.Contains(e.Message, "mean_squared_error");
        StringAssert.Contains(e.Message, "target 'y' is float[N, 4], expected float[N]");
        // a known dimension that differs fails too; a symbolic one against a number is left to the runtime
        var (g2, p2) = Prediction(ElementType.Float32, "N", 3);
        Assert.ThrowsExactly<GraphBuildException>(() => Catalog.Huber().Compute(p2, g2.Input("y", ElementType.Float32, "N", 4)));
        Catalog.Huber().Compute(p2, g2.Input("y2", ElementType.Float32, 8, 3));
        // a dense cross-entropy needs float probabilities, not indices
        var (g3, p3) = Prediction(ElementType.Float32, "N", 3);
        var e3 = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.CategoricalCrossEntropy(fromLogits: true).Compute(p3, g3.Input("y", ElementType.Int64, "N", 3)));
        StringAssert.Contains(e3.Message, "categorical_crossentropy");
        StringAssert.Contains(e3.Message, "expected float[N, 3]");
    }

    [TestMethod]
    public void ClassLossesNeedAClassAxisAndMatchingWeights()
    {
        var (g, p) = Prediction(ElementType.Float32, "N");
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.NegativeLogLikelihood().TargetType(p.Type));
        StringAssert.Contains(e.Message, "negative_log_likelihood");
        StringAssert.Contains(e.Message, "[N, C]");

        var (g2, p2) = Prediction(ElementType.Float32, "N", 3);
        var y2 = g2.Input("y", ElementType.Int64, "N");
        var e2 = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.CrossEntropy(classWeights: [1, 2]).Compute(p2, y2));
        StringAssert.Contains(e2.Message, "2 class weights");
        StringAssert.Contains(e2.Message, "3 classes");

        var (g3, p3) = Prediction(ElementType.Float32, "N", 3);
        var e3 = Assert.ThrowsExactly<GraphBuildException>(() =>
            Catalog.BinaryCrossEntropyWithLogits([1, 2]).Compute(p3, g3.Input("y", ElementType.Float32, "N", 3)));
        StringAssert.Contains(e3.Message, "2 positive weights");
    }

    [TestMethod]
    public void BadOptionsAndPredictionsAreRefused()
    {
        Assert.ThrowsExactly<ArgumentException>(() => Catalog.CrossEntropy(sparse: false, ignoreIndex: 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Catalog.CrossEntropy(labelSmoothing: 1.5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Catalog.Huber(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Catalog.SmoothL1(-1));
        Assert.ThrowsExactly<ArgumentException>(() => Catalog.NegativeLogLikelihood(classWeights: []));

        var (g, p) = Prediction(ElementType.Int64, "N");
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.MeanAbsoluteError().Compute(p, g.Input("y", ElementType.Int64, "N")));
        StringAssert.Contains(e.Message, "must be a float tensor");

        var other = new GraphBuilder("other");
        var (g2, p2) = Prediction(ElementType.Float32, "N");
        var e2 = Assert.ThrowsExactly<GraphBuildException>(() => Catalog.MeanSquaredError().Compute(p2, other.Input("y", ElementType.Float32, "N")));
        StringAssert.Contains(e2.Message, "different graphs");
    }

    [TestMethod]
    public void Int32LabelsAreAcceptedAsONNXAllows()
    {
        var (g, p) = Prediction(ElementType.Float32, "N", 4);
        var y = g.Input("labels", ElementType.Int32, "N");
        g.Output(Catalog.CrossEntropy(labelSmoothing: 0.1, ignoreIndex: 3).Compute(p, y), "loss");
        var outs = OrtRun.Run(g.Build(), HostTensor.F32("prediction", [0, 0, 0, 0, 1, 1, 1, 1], 2, 4),
            new HostTensor("labels", ElementType.Int32, [2], new[] { 1, 3 }));
        // uniform logits: nll = smoothing term = ln 4; the second row is ignored
        Compare.Close([Math.Log(4)], outs["loss"].Doubles, 1e-6);
    }
}
