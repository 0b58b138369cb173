using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Zoo;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>Every built-in architecture of <c>onnxkit train --model</c> builds its training graphs and learns on a small subset.</summary>
[TestClass]
public sealed class ModelZooTrainingTests
{
    [TestMethod]
    [DataRow("mlp")]
    [DataRow("cnn")]
    [DataRow("resnet-small")]
    [DataRow("transformer-small")]
    [DataRow("lstm")]
    public void ArchitectureTrainsAndItsLossFalls(string name)
    {
        var data = Datasets.FashionMnist(download: false).Train.Subset(Enumerable.Range(0, 256).ToArray());
        var model = ModelZoo.Create(name, data.SampleShape, 10, seed: 1);
        using var learner = new Learner(model, OptimizerCatalog.Adam(3e-3), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true));
        var h = learner.Fit(data, new FitOptions { Epochs = 4, BatchSize = 64, Seed = 1 });
        Assert.IsTrue(h.Epochs.All(e => double.IsFinite(e.TrainLoss)), "finite losses");
        Assert.IsTrue(h.Epochs[^1].TrainLoss < h.Epochs[0].TrainLoss * 0.9,
            $"{name}: loss {h.Epochs[0].TrainLoss:F4} → {h.Epochs[^1].TrainLoss:F4} over 4 epochs of 256 samples");
        var outputs = learner.Predict(data.Subset([0, 1, 2]), 3);
        Assert.AreEqual(30, outputs.Length);
    }
}
