using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Data;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.TrainingLoop;

[TestClass]
public sealed class SplitModeTests
{
    [TestMethod]
    public void GradientsThenOptimizerEqualsTheFusedTrainStep()
    {
        var data = Datasets.FashionMnist(download: false).Train;
        const int n = 16;
        var model = new Sequential(new Flatten(), new Dense(24, Activation.Tanh), new BatchNorm1d(24), new Dense(10)) { Seed = 2 };
        var opt = OptimizerCatalog.AdamW(1e-2);
        var art = TrainingArtifacts.Create(model, new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 1, 28, 28)),
            LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), opt);
        var batch = new[]
        {
            HostTensor.F32("input", data.Features[..(n * 784)], n, 1, 28, 28),
            HostTensor.I64("target", data.Labels![..n], n),
        };
        var scalars = new[] { HostTensor.F32("lr", [1e-2f]) };
        var state = art.Manifest.State.Select(s => s.Type == "int64"
            ? HostTensor.I64(s.Name, [BitConverter.ToInt64(art.InitialState[s.Name].Bytes)])
            : HostTensor.F32(s.Name, art.InitialState[s.Name].ToFloats(), s.Shape)).ToArray();

        var fused = RunWith(art.TrainStep, [.. batch, .. scalars, .. state]);
        var grads = RunWith(art.GradientsModel, [.. batch, .. state]);
        Assert.AreEqual((double)fused["loss"].Floats[0], grads["loss"].Floats[0], 1e-7, "same loss");
        var gradInputs = grads.Where(kv => kv.Key.EndsWith(".grad")).Select(kv => kv.Value).ToArray();
        Assert.AreEqual(6, gradInputs.Length, "weight and bias gradients of both Dense layers and the BatchNorm");
        var updated = RunWith(art.OptimizerModel, [.. scalars, .. state, .. gradInputs]);
        foreach (var s in art.Manifest.State)
        {
            var expected = fused[s.Next].Floats;
            var actual = s.Kind == "buffer" ? grads[s.Next].Floats : updated[s.Next].Floats;
            if (s.Type == "int64") { CollectionAssert.AreEqual((long[])fused[s.Next].Data, (long[])updated[s.Next].Data, s.Name); continue; }
            Compare.Close(expected, actual, 1e-6, 1e-6, $"{s.Kind} '{s.Name}' after one step");
        }
    }

    // Feeds each model only the inputs it declares.
    private static Dictionary<string, HostTensor> RunWith(OnnxModel m, HostTensor[] available)
    {
        var names = m.Graph.Inputs.Select(i => i.Name).ToHashSet();
        return OrtRun.Run(m, available.Where(t => names.Contains(t.Name)).GroupBy(t => t.Name).Select(g => g.First()).ToArray());
    }
}
