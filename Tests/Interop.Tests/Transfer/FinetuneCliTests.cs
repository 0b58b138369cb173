using System.Text.Json;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Transfer;

/// <summary>
/// The transfer-learning demo end to end through the real <c>onnxkit finetune</c> process: a CNN exported from
/// PyTorch (with a 7-class head it was never trained for), its head replaced by a 10-class Dense layer, fine-tuned
/// for one epoch on the shipped Fashion-MNIST, must reach 0.85 test accuracy; its checkpoint must load into the
/// PyTorch module with the same head replacement and reproduce the exported model's outputs.
/// </summary>
[TestClass]
public sealed class FinetuneCliTests
{
    private static string Cli => OnnxkitCli.Dll;

    private static (int Code, string Out, string Err) Onnxkit(params string[] args) => OnnxkitCli.Run(args, 900);

    [TestMethod]
    public void ReplacedHeadCnnFromPyTorchReaches85PercentAfterOneEpoch()
    {
        Python.Require("torch");
        string dir = Directory.CreateTempSubdirectory("transfer-demo-").FullName;
        try
        {
            Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "transfer_models.py"), "export", "fashion", dir);
            string outDir = Path.Combine(dir, "run");
            var (code, stdout, stderr) = Onnxkit("finetune", Path.Combine(dir, "model.onnx"), "--dataset", "fashion-mnist", "--replace-head", "10",
                "--epochs", "1", "--plain", "--out", outDir);
            Assert.AreEqual(0, code, stderr + stdout);
            using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
            double acc = metrics.RootElement.GetProperty("test_accuracy").GetDouble();
            Console.WriteLine($"transfer demo: test accuracy {acc:F4} after one epoch");
            Assert.IsTrue(acc >= 0.85, $"the fine-tuned CNN reaches {acc} test accuracy, expected at least 0.85");
            Assert.AreEqual(10, metrics.RootElement.GetProperty("replaced_head").GetInt32());

            // The checkpoint goes back into PyTorch (head replaced as model.fc = nn.Linear(784, 10)) and gives the exported model's outputs.
            var probe = new float[4 * 28 * 28];
            var rng = new Random(3);
            for (int i = 0; i < probe.Length; i++) probe[i] = (float)rng.NextDouble();
            var outputs = OrtRun.RunFile(Path.Combine(outDir, "model.onnx"), HostTensor.F32("input", probe, 4, 1, 28, 28));
            Assert.AreEqual(40, outputs["logits"].Floats.Length);
            File.Copy(Path.Combine(outDir, "checkpoint.safetensors"), Path.Combine(dir, "finetuned.safetensors"));
            File.WriteAllBytes(Path.Combine(dir, "probe.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(probe.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, "probe_out.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(outputs["logits"].Floats.AsSpan()).ToArray());
            using var check = JsonDocument.Parse(Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "transfer_models.py"), "check", "fashion", dir, "10").Trim().Split('\n')[^1]);
            double diff = check.RootElement.GetProperty("max_abs_diff").GetDouble();
            Assert.IsTrue(diff <= 1e-4, $"PyTorch with the fine-tuned checkpoint differs from the exported model by {diff}");

            // Any ORT client: the fine-tuned model in onnxruntime-node gives the same outputs (when node and the package are there).
            string nodeDir = Path.Combine(Python.RepoRoot, "Tests", "node");
            if (Directory.Exists(Path.Combine(nodeDir, "node_modules", "onnxruntime-node")))
            {
                string inputs = Path.Combine(dir, "inputs.json");
                File.WriteAllText(inputs, JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["input"] = new { type = "float32", dims = new[] { 4, 1, 28, 28 }, data = probe },
                }));
                var (nc, nout, nerr) = Python.Run("node", [Path.Combine(nodeDir, "run_model.mjs"), Path.Combine(outDir, "model.onnx"), inputs], 300);
                Assert.AreEqual(0, nc, nerr);
                using var node = JsonDocument.Parse(nout);
                var fromNode = node.RootElement.GetProperty("logits").GetProperty("data").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
                Compare.Close(outputs["logits"].Floats, fromNode, 1e-5);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    [DataRow(new[] { "finetune", "no/such/model.onnx" }, "no/such/model.onnx")]
    [DataRow(new[] { "finetune", "MODEL", "--replace-head", "0" }, "--replace-head must be at least 1")]
    [DataRow(new[] { "finetune", "MODEL", "--freeze-up-to", "layer9" }, "cannot freeze up to 'layer9'")]
    [DataRow(new[] { "finetune", "MODEL", "--dataset", "imagenet" }, "unknown dataset 'imagenet'")]
    public void BadInputIsAOneLineError(string[] args, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("transfer-cli-bad-").FullName;
        try
        {
            // A tiny MLP, built here, stands in for MODEL.
            var g = new GraphBuilder("mlp");
            var x = g.Input("input", OnnxKit.IR.ElementType.Float32, "batch", 784);
            g.Output(new OnnxKit.Dense(10, inFeatures: 784).Call(x), "logits");
            string model = Path.Combine(dir, "model.onnx");
            g.Build().Save(model);
            string[] full = [.. args.Select(a => a == "MODEL" ? model : a), "--out", Path.Combine(dir, "out")];
            var (code, stdout, stderr) = Onnxkit(full);
            Assert.AreEqual(2, code, stdout + stderr);
            StringAssert.Contains(stderr, expected);
            Assert.IsFalse(stderr.Contains("   at "), "no stack trace: " + stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
