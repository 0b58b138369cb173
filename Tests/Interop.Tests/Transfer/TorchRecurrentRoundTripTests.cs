using System.Runtime.InteropServices;
using System.Text.Json;
using OnnxKit.Interop.Transfer;
using OnnxKit.Interop.Weights;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;

namespace OnnxKit.Tests.Interop.Transfer;

/// <summary>
/// A PyTorch sequence classifier (LSTM → bidirectional GRU → Linear, Tests/scripts/recurrent_roundtrip.py), exported
/// with the import advice (training=PRESERVE, no constant folding: the recurrent weights keep their state_dict names and
/// the exporter's gate reordering stays in the graph), imported, fine-tuned with every layer trainable, saved as
/// safetensors and loaded back into PyTorch with <c>load_state_dict(strict=True)</c>: PyTorch then computes OnnxKit's
/// outputs of the fine-tuned weights to 1e-4.
/// </summary>
[TestClass]
public sealed class TorchRecurrentRoundTripTests
{
    [TestMethod]
    public void FineTunedLstmAndGruWeightsLoadStrictlyIntoPyTorchAndReproduceTheOutputs() => RoundTrip(folded: false);

    /// <summary>
    /// The default export folds each layer's weights into <c>onnx::LSTM_N</c>/<c>onnx::GRU_N</c> tensors (directions joined, gates
    /// in ONNX's order); the import splits them back into the state_dict parameters from the nodes' module paths, so the same
    /// round trip holds.
    /// </summary>
    [TestMethod]
    public void FoldedRecurrentWeightsGetTheirStateDictNamesBackAndLoadStrictlyIntoPyTorch() => RoundTrip(folded: true);

    private static void RoundTrip(bool folded)
    {
        Python.Require("torch", "onnx");
        string script = Path.Combine(Python.RepoRoot, "Tests", "scripts", "recurrent_roundtrip.py");
        string dir = Directory.CreateTempSubdirectory("recurrent-roundtrip-").FullName;
        try
        {
            Python.RunScript(script, folded ? "export-folded" : "export", dir);
            string path = Path.Combine(dir, "model.onnx");
            var source = OnnxModel.Load(path);
            if (folded)
                Assert.IsTrue(source.Graph.Initializers.Count(i => i.Name.StartsWith("onnx::LSTM_") || i.Name.StartsWith("onnx::GRU_")) == 6,
                    "the exporter folded the LSTM's and the GRU's W, R, B");
            var model = source.MakeTrainable();
            Assert.IsFalse(model.Parameters().Any(p => p.FullName.StartsWith("onnx::")), string.Join(", ", model.Parameters().Select(p => p.FullName)));
            var recurrent = model.Parameters().Where(p => p.FullName.StartsWith("lstm.", StringComparison.Ordinal) || p.FullName.StartsWith("gru.", StringComparison.Ordinal)).ToList();
            Assert.AreEqual(12, recurrent.Count(p => p.Trainable), "every LSTM and GRU weight is trained");
            var before = recurrent.ToDictionary(p => p.FullName, p => (float[])p.Data.Clone());

            var optimizer = new Adam(1e-2);
            var artifacts = TrainingArtifacts.Create(model, LossCatalog.CrossEntropy(), optimizer);
            using var session = new TrainingSession(artifacts, optimizer);
            float[] xs = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "x.bin"))).ToArray();
            long[] ys = MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(Path.Combine(dir, "y.bin"))).ToArray();
            float first = 0, last = 0;
            for (int k = 0; k < 5; k++)
            {
                float loss = session.Step(xs, ys, ys.Length, 1e-2);
                if (k == 0) first = loss;
                last = loss;
            }
            Assert.IsTrue(last < first, $"the loss fell over the steps ({first} → {last})");
            StateDict.CopyFrom(model, session);
            // The head reads the GRU's output at the last step, which for the reverse direction is its first step, from a zero
            // state: gru.weight_hh_l0_reverse has no gradient there (as in PyTorch). Every other recurrent weight moved.
            foreach (var p in recurrent.Where(p => p.FullName != "gru.weight_hh_l0_reverse"))
                CollectionAssert.AreNotEqual(before[p.FullName], p.Data, $"{p.FullName} was fine-tuned");
            StateDict.Save(model, Path.Combine(dir, "finetuned.safetensors"));

            // OnnxKit's outputs of the fine-tuned weights: the exported model with its initializers replaced (where the file
            // has the state_dict names), else the fine-tuned module's inference graph.
            var tuned = folded ? TrainingArtifacts.BuildInference(model, model.InputType) : OnnxModel.Load(path);
            foreach (var p in model.Parameters())
                if (!folded && tuned.Graph.FindInitializer(p.FullName) is { } init)
                    tuned.Graph.Initializers[tuned.Graph.Initializers.IndexOf(init)] = new Initializer(TensorData.FromFloats(p.FullName, p.Data, p.Shape));
            var probe = xs.Select(v => v * 0.5f).ToArray();
            var outputs = OrtRun.Run(tuned, HostTensor.F32("input", probe, ys.Length, 6, 4))[folded ? "output" : "logits"].Floats;
            File.WriteAllBytes(Path.Combine(dir, "probe.bin"), MemoryMarshal.AsBytes(probe.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, "probe_out.bin"), MemoryMarshal.AsBytes(outputs.AsSpan()).ToArray());

            using var check = JsonDocument.Parse(Python.RunScript(script, "check", dir).Trim().Split('\n')[^1]);
            double diff = check.RootElement.GetProperty("max_abs_diff").GetDouble();
            Assert.IsTrue(diff <= 1e-4, $"PyTorch with the fine-tuned weights differs from OnnxKit by {diff}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
