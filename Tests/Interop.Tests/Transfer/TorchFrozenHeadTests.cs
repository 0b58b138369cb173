using System.Runtime.InteropServices;
using System.Text.Json;
using OnnxKit.Interop.Transfer;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;

namespace OnnxKit.Tests.Interop.Transfer;

/// <summary>
/// Transfer learning as PyTorch users write it — <c>model.fc = nn.Linear(in, 3)</c>, the stem and <c>layer1</c>
/// frozen — against <c>ReplaceHead(3).Freeze(upTo: "layer1")</c> on the exported ResNet: the same losses step by step
/// (the frozen part's BatchNorm still uses batch statistics in training, as in PyTorch).
/// </summary>
[TestClass]
public sealed class TorchFrozenHeadTests
{
    [TestMethod]
    public void ReplacedHeadAndFrozenStemFollowPyTorch()
    {
        Python.Require("torch");
        string script = Path.Combine(Python.RepoRoot, "Tests", "scripts", "transfer_models.py");
        string dir = Directory.CreateTempSubdirectory("transfer-frozen-").FullName;
        try
        {
            Python.RunScript(script, "export", "resnet", dir);
            Python.RunScript(script, "frozen", "resnet", dir);
            using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "losses_frozen.json")));
            double[] expected = reference.RootElement.GetProperty("adamw").EnumerateArray().Select(e => e.GetDouble()).ToArray();

            var model = OnnxModel.Load(Path.Combine(dir, "model.onnx")).ReplaceHead(3).Freeze(upTo: "layer1");
            CollectionAssert.AreEquivalent(
                new[] { "layer2.conv1.weight", "layer2.bn1.weight", "layer2.bn1.bias", "layer2.conv2.weight", "layer2.bn2.weight", "layer2.bn2.bias",
                        "layer2.down.0.weight", "layer2.down.1.weight", "layer2.down.1.bias", "fc.weight", "fc.bias" },
                model.Parameters().Where(p => p.Trainable).Select(p => p.FullName).ToList());
            // PyTorch's new head, so both sides start from the same weights.
            var head = TorchTrajectoryTests.ReadFloats(Path.Combine(dir, "head.bin"));
            var fcw = model.Parameters().Single(p => p.FullName == "fc.weight");
            var fcb = model.Parameters().Single(p => p.FullName == "fc.bias");
            fcw.Data = head[..fcw.Data.Length];
            fcb.Data = head[fcw.Data.Length..];

            var optimizer = new AdamW(1e-3, weightDecay: 0.01);
            var artifacts = TrainingArtifacts.Create(model, LossCatalog.CrossEntropy(), optimizer);
            using var session = new TrainingSession(artifacts, optimizer);
            float[] xs = TorchTrajectoryTests.ReadFloats(Path.Combine(dir, "x.bin"));
            long[] ys = MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(Path.Combine(dir, "y3.bin"))).ToArray();
            int batch = 16, sample = xs.Length / (10 * batch);
            double worst = 0;
            for (int k = 0; k < 10; k++)
            {
                float loss = session.Step(xs.AsSpan(k * batch * sample, batch * sample), ys[(k * batch)..((k + 1) * batch)], batch, 1e-3);
                double rel = Math.Abs(loss - expected[k]) / Math.Abs(expected[k]);
                worst = Math.Max(worst, rel);
                Assert.IsTrue(rel <= 1e-4, $"step {k}: OnnxKit loss {loss}, PyTorch {expected[k]} (relative error {rel:E2})");
            }
            Console.WriteLine($"resnet, new head, frozen up to layer1, AdamW: max relative loss error {worst:E2}");
            // The frozen weights are not even state: they stay constants of the graph.
            Assert.IsFalse(session.State().ContainsKey("layer1.conv1.weight"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
