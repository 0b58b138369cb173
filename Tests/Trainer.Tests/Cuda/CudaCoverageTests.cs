using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Session.Cuda;
using OnnxKit.Zoo;
using LossCatalog = OnnxKit.Losses.Losses;
using OptimizerCatalog = OnnxKit.Training.Optimizers.Optimizers;

namespace OnnxKit.Tests.Cuda;

/// <summary>The generated graphs of every zoo model run entirely on CUDA kernels (per ONNX Runtime's published list).</summary>
[TestClass]
public sealed class CudaCoverageTests
{
    private static TrainingArtifacts Artifacts(string name)
    {
        var model = ModelZoo.Create(name, [1, 28, 28], 10, seed: 1);
        var type = new TensorType(ElementType.Float32, new Shape([Dim.Sym("batch"), Dim.Of(1), Dim.Of(28), Dim.Of(28)]));
        return TrainingArtifacts.Create(model, type, LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), OptimizerCatalog.Adam(1e-3));
    }

    [TestMethod]
    [DataRow("mlp")]
    [DataRow("cnn")]
    [DataRow("resnet-small")]
    [DataRow("transformer-small")]
    public void EveryNodeOfTheTrainStepEvalAndInferenceGraphsHasACudaKernel(string name)
    {
        var a = Artifacts(name);
        foreach (var (graph, model) in new[] { ("train step", a.TrainStep), ("eval", a.Eval), ("inference", a.Inference) })
        {
            var fallbacks = CudaCoverage.Fallbacks(model);
            Assert.AreEqual(0, fallbacks.Count, $"{name} {graph} (opset {model.Opset}):\n" + string.Join("\n", fallbacks));
        }
    }
}
