using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Interop.MLNet;

namespace OnnxKit.Tests.Interop.MLNet;




/// <summary>The OnnxKit training estimator inside ML.NET pipelines: training, evaluation, Model.Save/Load.</summary>
[TestClass]
public sealed class TrainingEstimatorTests
{
    public sealed class MulticlassPrediction
    {
        [VectorType(3)] public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    public sealed class BinaryPrediction
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    private static Sequential Mlp(int outputs) => new(new Dense(16, Activation.Relu), new Dense(outputs)) { Seed = 7 };

    private static string TempZip() => Path.Combine(Path.GetTempPath(), $"onnxkit-mlnet-{Guid.NewGuid():N}.zip");

    [TestMethod]
    public void MulticlassPipelineTrainsEvaluatesAndRoundTripsThroughModelSave()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TabularRow.Blobs(600, 1));
        var test = ml.Data.LoadFromEnumerable(TabularRow.Blobs(200, 2));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Class", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.OnnxKit().Train(Mlp(3), Losses.SparseCategoricalCrossEntropy(fromLogits: true), Optimizers.Adam(0.01), epochs: 15,
                new OnnxKitTrainerOptions { BatchSize = 32, Seed = 3 }));
        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy}");

        // Score is the softmax of the logits; PredictedLabel is its argmax as a key over the same labels as Label.
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.AreEqual(1.0, scores[i].Sum(), 1e-5, $"row {i}: probabilities sum to 1");
            Assert.AreEqual((uint)(Array.IndexOf(scores[i], scores[i].Max()) + 1), keys[i], $"row {i}");
        }
        VBuffer<ReadOnlyMemory<char>> labelValues = default, predictedValues = default;
        scored.Schema["Label"].GetKeyValues(ref labelValues);
        scored.Schema["PredictedLabel"].GetKeyValues(ref predictedValues);
        CollectionAssert.AreEqual(new[] { "setosa", "versicolor", "virginica" }, predictedValues.DenseValues().Select(v => v.ToString()).ToArray());
        CollectionAssert.AreEqual(labelValues.DenseValues().Select(v => v.ToString()).ToArray(), predictedValues.DenseValues().Select(v => v.ToString()).ToArray());

        string path = TempZip();
        try
        {
            ml.Model.Save(model, train.Schema, path);
            using (var zip = ZipFile.OpenRead(path))
                Assert.IsTrue(zip.Entries.Any(e => e.FullName.Contains("OnnxModel", StringComparison.OrdinalIgnoreCase)),
                    "the ONNX model is embedded in the saved pipeline: " + string.Join(", ", zip.Entries.Select(e => e.FullName)));
            var ml2 = new MLContext(seed: 5);
            ml2.OnnxKit();
            var loaded = ml2.Model.Load(path, out var inputSchema);
            Assert.IsNotNull(inputSchema.GetColumnOrNull("Features"));
            var reScored = loaded.Transform(ml2.Data.LoadFromEnumerable(TabularRow.Blobs(200, 2)));
            var scores2 = reScored.GetColumn<float[]>("Score").ToArray();
            var keys2 = reScored.GetColumn<uint>("PredictedLabel").ToArray();
            for (int i = 0; i < scores.Length; i++) CollectionAssert.AreEqual(scores[i], scores2[i], $"row {i}: reloaded score");
            CollectionAssert.AreEqual(keys, keys2);
            Assert.AreEqual(metrics.MicroAccuracy, ml2.MulticlassClassification.Evaluate(reScored).MicroAccuracy);

            var sample = TabularRow.Blobs(5, 9);
            using var before = ml.Model.CreatePredictionEngine<TabularRow, MulticlassPrediction>(model);
            using var after = ml2.Model.CreatePredictionEngine<TabularRow, MulticlassPrediction>(loaded);
            foreach (var row in sample)
            {
                var a = before.Predict(row); var b = after.Predict(row);
                CollectionAssert.AreEqual(a.Score, b.Score);
                Assert.AreEqual(a.PredictedLabel, b.PredictedLabel);
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void BinaryPipelineGivesMarginProbabilityAndLabelAndRoundTrips()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TabularRow.Blobs(600, 11));
        var test = ml.Data.LoadFromEnumerable(TabularRow.Blobs(200, 12));
        var estimator = ml.OnnxKit().Train(Mlp(2), Losses.SparseCategoricalCrossEntropy(fromLogits: true), Optimizers.Adam(0.01), epochs: 15,
            new OnnxKitTrainerOptions { LabelColumnName = "Positive", BatchSize = 32, Seed = 3 });
        var model = estimator.Fit(train);
        Assert.AreEqual(15, model.History!.Epochs.Count);
        Assert.IsTrue(model.History.Epochs[^1].TrainLoss < model.History.Epochs[0].TrainLoss, "the loss goes down");
        var scored = model.Transform(test);
        var metrics = ml.BinaryClassification.Evaluate(scored, labelColumnName: "Positive");
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.95, $"AUC {metrics.AreaUnderRocCurve}");
        var margin = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < margin.Length; i++)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-margin[i])), probability[i], 1e-6, $"row {i}: probability = sigmoid(margin)");
            Assert.AreEqual(probability[i] > 0.5f, predicted[i], $"row {i}");
        }

        string path = TempZip();
        try
        {
            ml.Model.Save(model, train.Schema, path);
            var ml2 = new MLContext();
            ml2.OnnxKit();
            var loaded = ml2.Model.Load(path, out _);
            using var before = ml.Model.CreatePredictionEngine<TabularRow, BinaryPrediction>(model);
            using var after = ml2.Model.CreatePredictionEngine<TabularRow, BinaryPrediction>(loaded);
            foreach (var row in TabularRow.Blobs(20, 13))
            {
                var a = before.Predict(row); var b = after.Predict(row);
                Assert.AreEqual(a.Score, b.Score); Assert.AreEqual(a.Probability, b.Probability); Assert.AreEqual(a.PredictedLabel, b.PredictedLabel);
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void RegressionPipelineFitsALinearTarget()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TabularRow.Blobs(600, 21));
        var test = ml.Data.LoadFromEnumerable(TabularRow.Blobs(200, 22));
        var model = ml.OnnxKit().Train(Mlp(1), Losses.MeanSquaredError(), Optimizers.Adam(0.01), epochs: 20,
            new OnnxKitTrainerOptions { LabelColumnName = "Target", BatchSize = 32 }).Fit(train);
        var metrics = ml.Regression.Evaluate(model.Transform(test), labelColumnName: "Target");
        Assert.IsTrue(metrics.RSquared > 0.95, $"R² {metrics.RSquared}");
    }
}
