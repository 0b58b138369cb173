using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Inference;
using OnnxKit.Interop.MLNet;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Interop.MLNet;

/// <summary>The shipped Fashion-MNIST MLP scored through ML.NET's ApplyOnnxModel, against OnnxKit's own Predictor.</summary>
[TestClass]
public sealed class FashionScoringTests
{
    private const int Rows = 200;
    private static string ModelPath => Path.Combine(Python.RepoRoot, "models", "fashion-mlp", "1", "model.onnx");

    public sealed class ImageRow
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
        public string Class { get; set; } = "";
    }

    public sealed class ScoredRow
    {
        [VectorType(10)] public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    private static (ImageRow[] Rows, string[] Labels) Sample()
    {
        var test = Datasets.FashionMnist(Path.Combine(Python.RepoRoot, "data", "fashion-mnist"), download: false).Test;
        var rows = Enumerable.Range(0, Rows).Select(i => new ImageRow { Features = test.Sample(i).ToArray(), Class = test.ClassNames[(int)test.Labels![i]] }).ToArray();
        return (rows, test.ClassNames.ToArray());
    }

    private static float[] PredictorScores(Predictor p, float[] image) => p.Predict(TensorValue.FromFloats(image, 1, 1, 28, 28)).Floats("output");

    [TestMethod]
    public void BatchTransformGivesExactlyThePredictorsOutputs()
    {
        var (rows, _) = Sample();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.OnnxKit().ScoreModel(ModelPath).Fit(data);
        var scored = model.Transform(data);
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
        using var predictor = Predictor.Load(ModelPath);
        for (int i = 0; i < Rows; i++)
        {
            var expected = PredictorScores(predictor, rows[i].Features);
            CollectionAssert.AreEqual(expected, scores[i], $"row {i}: ML.NET Score differs from Predictor output");
            Assert.AreEqual((uint)(Array.IndexOf(expected, expected.Max()) + 1), keys[i], $"row {i}: predicted key");
        }
        // The batched Predictor agrees to float rounding (ML.NET runs one row per call).
        var batch = predictor.Predict(TensorValue.FromFloats(rows.SelectMany(r => r.Features).ToArray(), Rows, 1, 28, 28)).Floats("output");
        Compare.Close(batch, scores.SelectMany(s => s).ToArray(), 1e-5, 1e-5);
    }

    [TestMethod]
    public void PredictedLabelIsAKeyOverTheModelsLabels()
    {
        var (rows, labels) = Sample();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = ml.OnnxKit().ScoreModel(ModelPath).Fit(data).Transform(data);
        var column = scored.Schema["PredictedLabel"];
        Assert.IsInstanceOfType<KeyDataViewType>(column.Type);
        Assert.AreEqual(10UL, ((KeyDataViewType)column.Type).Count);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        column.GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(labels, keyValues.DenseValues().Select(v => v.ToString()).ToArray());

        // Key-to-label mapping and ML.NET's evaluator: accuracy equals the one computed from the Predictor's argmax.
        var withLabels = ml.Transforms.Conversion.MapValueToKey("Label", "Class", keyData: ml.Data.LoadFromEnumerable(labels.Select(l => new { Value = l })))
            .Fit(scored).Transform(scored);
        var mapped = ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(withLabels).Transform(withLabels);
        var texts = mapped.GetColumn<ReadOnlyMemory<char>>("PredictedText").Select(t => t.ToString()).ToArray();
        using var predictor = Predictor.Load(ModelPath);
        int correct = 0;
        for (int i = 0; i < Rows; i++)
        {
            var s = PredictorScores(predictor, rows[i].Features);
            string expected = labels[Array.IndexOf(s, s.Max())];
            Assert.AreEqual(expected, texts[i], $"row {i}");
            if (expected == rows[i].Class) correct++;
        }
        var metrics = ml.MulticlassClassification.Evaluate(withLabels);
        Assert.AreEqual(correct / (double)Rows, metrics.MicroAccuracy, 1e-12);
        Assert.IsTrue(metrics.MicroAccuracy > 0.75, $"the shipped model should classify Fashion-MNIST, got {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void PredictionEngineGivesThePredictorsOutputs()
    {
        var (rows, _) = Sample();
        var ml = new MLContext(seed: 1);
        var model = ml.OnnxKit().ScoreModel(ModelPath).Fit(ml.Data.LoadFromEnumerable(rows));
        using var engine = ml.Model.CreatePredictionEngine<ImageRow, ScoredRow>(model);
        using var predictor = Predictor.Load(ModelPath);
        foreach (int i in new[] { 0, 7, 123 })
        {
            var r = engine.Predict(rows[i]);
            var expected = PredictorScores(predictor, rows[i].Features);
            CollectionAssert.AreEqual(expected, r.Score, $"row {i}");
            Assert.AreEqual((uint)(Array.IndexOf(expected, expected.Max()) + 1), r.PredictedLabel);
        }
    }

    [TestMethod]
    public void NormalizationMetadataIsAppliedInTheGraph()
    {
        // The same weights with normalisation metadata, fed raw pixels, score like the plain model fed (x - mean) / std.
        var (rows, _) = Sample();
        var plain = IR.OnnxModel.Load(ModelPath);
        var normalized = IR.OnnxModel.Load(ModelPath);
        normalized.Metadata[ModelInfo.NormalizationKey] = "{\"mean\": [0.25], \"std\": [0.5]}";
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows.Take(20));
        var scores = ml.OnnxKit().ScoreModel(normalized).Fit(data).Transform(data).GetColumn<float[]>("Score").ToArray();
        using var predictor = Predictor.FromBytes(plain.ToBytes());
        for (int i = 0; i < 20; i++)
        {
            var x = rows[i].Features.Select(v => (v - 0.25f) / 0.5f).ToArray();
            Compare.Close(PredictorScores(predictor, x), scores[i], 1e-5, 1e-5);
        }
    }
}
