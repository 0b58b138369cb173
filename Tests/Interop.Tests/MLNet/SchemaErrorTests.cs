using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Interop.MLNet;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.MLNet;




/// <summary>Bad input columns fail with ML.NET-style schema errors naming the column and what was expected.</summary>
[TestClass]
public sealed class SchemaErrorTests
{
    private static string ModelPath => Path.Combine(Python.RepoRoot, "models", "fashion-mlp", "1", "model.onnx");

    public sealed class GoodRow { [VectorType(784)] public float[] Features { get; set; } = new float[784]; }
    public sealed class NoFeaturesRow { [VectorType(784)] public float[] Pixels { get; set; } = new float[784]; }
    public sealed class DoubleRow { [VectorType(784)] public double[] Features { get; set; } = new double[784]; }
    public sealed class ShortRow { [VectorType(10)] public float[] Features { get; set; } = new float[10]; }
    public sealed class ScalarRow { public float Features { get; set; } }

    // SchemaShape.Create is internal to ML.NET; estimators see shapes made by it during pipeline validation.
    private static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!
            .Invoke(null, [schema])!;

    private static ArgumentOutOfRangeException Fails(Action action)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(action);
        return e;
    }

    private static void ScoreFails<T>(T row, string expectedFragment) where T : class
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable([row]);
        var estimator = ml.OnnxKit().ScoreModel(ModelPath);
        var e = Fails(() => estimator.Fit(data));
        StringAssert.Contains(e.Message, expectedFragment);
        // A fitted transformer applied to the wrong data fails the same way.
        var fitted = estimator.Fit(ml.Data.LoadFromEnumerable([new GoodRow()]));
        var e2 = Fails(() => fitted.Transform(data));
        Assert.AreEqual(e.Message, e2.Message);
        // And so does the estimator's schema propagation where the shape already shows it.
        if (row is NoFeaturesRow or DoubleRow or ScalarRow)
            StringAssert.Contains(Fails(() => estimator.GetOutputSchema(ShapeOf(data.Schema))).Message, "'Features'");
    }

    [TestMethod]
    public void MissingFeatureColumnIsNamed() =>
        ScoreFails(new NoFeaturesRow(), "Could not find feature column 'Features' (expected Vector<Single, 784>)");

    [TestMethod]
    public void WrongItemTypeIsNamedWithTheExpectedType() =>
        ScoreFails(new DoubleRow(), "Schema mismatch for feature column 'Features': expected Vector<Single, 784>, got Vector<Double, 784>");

    [TestMethod]
    public void WrongVectorSizeIsNamedWithTheExpectedSize() =>
        ScoreFails(new ShortRow(), "Schema mismatch for feature column 'Features': expected Vector<Single, 784>, got Vector<Single, 10>");

    [TestMethod]
    public void ScalarWhereAVectorIsExpectedIsNamed() =>
        ScoreFails(new ScalarRow(), "Schema mismatch for feature column 'Features': expected Vector<Single, 784>, got Single");

    [TestMethod]
    public void TrainingChecksFeatureAndLabelColumns()
    {
        var ml = new MLContext();
        var rows = TabularRow.Blobs(10, 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        OnnxKitTrainingEstimator Train(OnnxKitTrainerOptions o) =>
            ml.OnnxKit().Train(new Sequential(new Dense(3)), Losses.SparseCategoricalCrossEntropy(fromLogits: true), Optimizers.Adam(), 1, o);

        StringAssert.Contains(Fails(() => Train(new OnnxKitTrainerOptions()).Fit(data)).Message, "Could not find label column 'Label'");
        StringAssert.Contains(Fails(() => Train(new OnnxKitTrainerOptions { LabelColumnName = "Class" }).Fit(data)).Message,
            "Schema mismatch for label column 'Class': expected Key<UInt32>, Boolean or Single, got String");
        StringAssert.Contains(Fails(() => Train(new OnnxKitTrainerOptions { LabelColumnName = "Positive", FeatureColumnName = "Pixels" }).Fit(data)).Message,
            "Could not find feature column 'Pixels'");
        StringAssert.Contains(Fails(() => Train(new OnnxKitTrainerOptions { LabelColumnName = "Positive", SampleShape = [1, 28, 28] }).Fit(data)).Message,
            "Schema mismatch for feature column 'Features': expected Vector<Single, 784> (sample shape [1, 28, 28]), got Vector<Single, 8>");
        StringAssert.Contains(Fails(() => Train(new OnnxKitTrainerOptions { LabelColumnName = "Positive", FeatureColumnName = "Target" }).Fit(data)).Message,
            "Schema mismatch for feature column 'Target': expected Vector<Single> of known size, got Single");
        // Schema propagation before any data: the same column names.
        StringAssert.Contains(Fails(() => Train(new OnnxKitTrainerOptions()).GetOutputSchema(ShapeOf(data.Schema))).Message, "'Label'");
        var shape = Train(new OnnxKitTrainerOptions { LabelColumnName = "Positive" }).GetOutputSchema(ShapeOf(data.Schema));
        CollectionAssert.IsSubsetOf(new[] { "Score", "Probability", "PredictedLabel" }, shape.Select(c => c.Name).ToArray());
    }

    [TestMethod]
    public void AModelThatDoesNotFitThePipelineIsRejectedByName()
    {
        var ml = new MLContext();
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.OnnxKit().ScoreModel(ModelPath, new ScoringColumns { Task = ScoringTask.Binary }));
        StringAssert.Contains(e.Message, "binary scoring needs an output [batch, 2]");
        StringAssert.Contains(e.Message, "'output'");
    }
}
