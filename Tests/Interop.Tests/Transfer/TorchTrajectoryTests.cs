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
/// Models exported by PyTorch (an MLP, a CNN with BatchNorm, a small ResNet, a transformer encoder), fine-tuned for
/// 10 steps in OnnxKit on the batches PyTorch trained on: the losses must follow PyTorch's step by step, and the
/// fine-tuned weights, saved as safetensors under state_dict names, must reproduce OnnxKit's outputs in PyTorch.
/// </summary>
[TestClass]
public sealed class TorchTrajectoryTests
{
    private static string Script => Path.Combine(Python.RepoRoot, "Tests", "scripts", "transfer_models.py");

    [TestMethod]
    [DataRow("mlp", "sgd"), DataRow("mlp", "adamw")]
    [DataRow("cnn", "sgd"), DataRow("cnn", "adamw")]
    [DataRow("resnet", "sgd"), DataRow("resnet", "adamw")]
    [DataRow("transformer", "sgd"), DataRow("transformer", "adamw")]
    public void FineTuningFollowsPyTorchAndTheWeightsGoBack(string name, string optimizerName)
    {
        Python.Require("torch");
        string dir = Directory.CreateTempSubdirectory($"transfer-{name}-").FullName;
        try
        {
            Python.RunScript(Script, "export", name, dir);
            using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "losses.json")));
            var root = reference.RootElement;
            int steps = root.GetProperty("steps").GetInt32(), batch = root.GetProperty("batch").GetInt32();
            double[] expected = root.GetProperty(optimizerName).EnumerateArray().Select(e => e.GetDouble()).ToArray();

            var model = OnnxModel.Load(Path.Combine(dir, "model.onnx")).MakeTrainable();
            Optimizer optimizer = optimizerName == "sgd" ? new Sgd(root.GetProperty("sgd_lr").GetDouble())
                : new AdamW(root.GetProperty("adamw_lr").GetDouble(), weightDecay: root.GetProperty("adamw_wd").GetDouble());
            var artifacts = TrainingArtifacts.Create(model, model.InputType, LossCatalog.CrossEntropy(), optimizer);
            using var session = new TrainingSession(artifacts, optimizer);
            float[] xs = ReadFloats(Path.Combine(dir, "x.bin"));
            long[] ys = MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(Path.Combine(dir, "y.bin"))).ToArray();
            int sample = xs.Length / (steps * batch);
            double worst = 0;
            for (int k = 0; k < steps; k++)
            {
                float loss = session.Step(xs.AsSpan(k * batch * sample, batch * sample), ys[(k * batch)..((k + 1) * batch)], batch, optimizer.LearningRate);
                double rel = Math.Abs(loss - expected[k]) / Math.Abs(expected[k]);
                worst = Math.Max(worst, rel);
                Assert.IsTrue(rel <= 1e-4, $"{name}/{optimizerName} step {k}: OnnxKit loss {loss}, PyTorch {expected[k]} (relative error {rel:E2})");
            }
            Console.WriteLine($"{name}/{optimizerName}: max relative loss error {worst:E2}");

            // Weights back to PyTorch: the fine-tuned state under state_dict names, and the outputs it must reproduce.
            StateDict.CopyFrom(model, session);
            StateDict.Save(model, Path.Combine(dir, "finetuned.safetensors"));
            var inference = TrainingArtifacts.BuildInference(model, model.InputType);
            var probe = xs.AsSpan(0, batch * sample).ToArray();
            var outputs = OrtRun.Run(inference, HostTensor.F32(TrainingArtifacts.InputName, probe, [batch, .. model.SampleShape.Select(d => (long)d)]));
            File.WriteAllBytes(Path.Combine(dir, "probe.bin"), MemoryMarshal.AsBytes(probe.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, "probe_out.bin"), MemoryMarshal.AsBytes(outputs["output"].Floats.AsSpan()).ToArray());
            // The exported inference model names its weights as the state_dict does.
            CollectionAssert.IsSubsetOf(model.ImportedTensors.Keys.ToList(), inference.Graph.Initializers.Select(i => i.Name).ToList());
            using var check = JsonDocument.Parse(Python.RunScript(Script, "check", name, dir).Trim().Split('\n')[^1]);
            double diff = check.RootElement.GetProperty("max_abs_diff").GetDouble();
            Console.WriteLine($"{name}/{optimizerName}: PyTorch vs OnnxKit outputs after fine-tuning, max abs diff {diff:E2}");
            Assert.IsTrue(diff <= 1e-4, $"{name}/{optimizerName}: PyTorch with the fine-tuned weights differs from OnnxKit by {diff}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    internal static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
}
