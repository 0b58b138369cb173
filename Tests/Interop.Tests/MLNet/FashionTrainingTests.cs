using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Inference;
using OnnxKit.Interop.MLNet;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Data;
using OnnxKit.Zoo;

namespace OnnxKit.Tests.Interop.MLNet;




/// <summary>The training estimator on image-shaped data: the scores ML.NET computes equal the trained network's own.</summary>
[TestClass]
public sealed class FashionTrainingTests
{
    [TestMethod]
    public void TrainedMlpScoresInMLNetAsTheNetworkItself()
    {
        var fashion = Datasets.FashionMnist(Path.Combine(Python.RepoRoot, "data", "fashion-mnist"), download: false);
        FashionScoringTests.ImageRow Row(TensorDataset d, int i) =>
            new() { Features = d.Sample(i).ToArray(), Class = d.ClassNames[(int)d.Labels![i]] };
        var trainRows = Enumerable.Range(0, 2000).Select(i => Row(fashion.Train, i)).ToArray();
        var testRows = Enumerable.Range(0, 100).Select(i => Row(fashion.Test, i)).ToArray();
        string[] labels = [.. fashion.Train.ClassNames];

        var ml = new MLContext(seed: 1);
        var network = ModelZoo.Mlp([1, 28, 28], 10);
        network.Seed = 3;
        var estimator = ml.OnnxKit().Train(network, Losses.SparseCategoricalCrossEntropy(fromLogits: true), Optimizers.Adam(1e-3), epochs: 2,
            new OnnxKitTrainerOptions { SampleShape = [1, 28, 28], BatchSize = 64, Seed = 1 });
        var keyData = ml.Data.LoadFromEnumerable(labels.Select(l => new { Value = l }));
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "Class", keyData: keyData).Append(estimator).Fit(ml.Data.LoadFromEnumerable(trainRows));
        var scored = model.Transform(ml.Data.LoadFromEnumerable(testRows));
        Assert.IsTrue(ml.MulticlassClassification.Evaluate(scored).MicroAccuracy > 0.6);
        var scores = scored.GetColumn<float[]>("Score").ToArray();

        // Independent: the trained network exported the usual way, run by the Predictor, softmax taken here in float64.
        var inference = TrainingArtifacts.BuildInference(network, new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), Dim.Of(1), Dim.Of(28), Dim.Of(28))));
        using var predictor = Predictor.FromBytes(inference.ToBytes());
        var logits = predictor.Predict(TensorValue.FromFloats(testRows.SelectMany(r => r.Features).ToArray(), testRows.Length, 1, 28, 28)).Floats("output");
        for (int i = 0; i < testRows.Length; i++)
        {
            var z = logits.AsSpan(i * 10, 10).ToArray().Select(v => (double)v).ToArray();
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            Compare.Close(z.Select(v => Math.Exp(v - max) / sum).ToArray(), scores[i].Select(v => (double)v).ToArray(), 1e-6, 1e-5, $"row {i} softmax");
        }

        // The labels travel in the model's metadata and become the PredictedLabel key's values.
        var transformer = model.LastTransformer;
        CollectionAssert.AreEqual(labels, transformer.Labels.ToArray());
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(labels, keyValues.DenseValues().Select(v => v.ToString()).ToArray());
    }
}
