using System.Runtime.InteropServices;
using System.Text.Json;
using OnnxKit.Interop.TfJs;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;

namespace OnnxKit.Tests.Interop.TfJs;

/// <summary>
/// Keras-style models exported to the TensorFlow.js Layers format give, in <c>@tensorflow/tfjs</c> (run by Node on
/// the channels-last input), the outputs ONNX Runtime gives for the ONNX model on the channels-first input.
/// </summary>
[TestClass]
public sealed class TfJsExportTests
{
    private static string NodeDir => Path.Combine(Python.RepoRoot, "Tests", "node");

    private static void RequireTfJs()
    {
        bool hasNode;
        try { hasNode = Python.Run("node", ["--version"], 60).ExitCode == 0; }
        catch (System.ComponentModel.Win32Exception) { hasNode = false; }
        if (!hasNode) Assert.Inconclusive("needs 'node' on PATH");
        if (!Directory.Exists(Path.Combine(NodeDir, "node_modules", "@tensorflow", "tfjs"))) Assert.Inconclusive("run 'npm install' in Tests/node first");
    }

    private static Sequential Cnn()
    {
        var bn = new BatchNorm2d(8);
        var model = new Sequential(
            new Conv2d(1, 4, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(4, 8, 3), bn, new ReLU(),
            new Flatten(), new Dense(16, Activation.Relu), new Dropout(0.2), new Dense(10)) { Seed = 7 };
        // Running statistics other than the defaults, so a wrong gamma/beta/mean/variance order shows.
        var rng = new Random(11);
        bn.RunningMean.Data = Enumerable.Range(0, 8).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        bn.RunningVar.Data = Enumerable.Range(0, 8).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        bn.Weight!.Data = Enumerable.Range(0, 8).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        bn.Bias!.Data = Enumerable.Range(0, 8).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        return model;
    }

    [TestMethod]
    public void CnnGivesOrtOutputsInTensorFlowJs() => Check(Cnn(), [1, 10, 10], 3);

    [TestMethod]
    public void MlpGivesOrtOutputsInTensorFlowJs() =>
        Check(new Sequential(new Dense(32, Activation.Tanh), new Dropout(0.5), new Dense(16), new LeakyReLU(0.1f), new Dense(5)) { Seed = 3 }, [12], 4);

    private static void Check(Sequential model, int[] sample, int batch)
    {
        RequireTfJs();
        string dir = Directory.CreateTempSubdirectory("tfjs-").FullName;
        try
        {
            var type = new TensorType(ElementType.Float32, new Shape([Dim.Sym("batch"), .. sample.Select(d => Dim.Of(d))]));
            var onnx = TrainingArtifacts.BuildInference(model, type);
            // Shards of 1 KiB, so the split across several files is exercised.
            var files = TfJsExport.Save(model, sample, Path.Combine(dir, "tfjs"), shardBytes: 1024);
            Assert.IsTrue(files.Count > 2, $"expected several shards, got {files.Count - 1}");

            int per = sample.Aggregate(1, (a, d) => a * d);
            var rng = new Random(5);
            var x = Enumerable.Range(0, batch * per).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var expected = OrtRun.Run(onnx, HostTensor.F32(TrainingArtifacts.InputName, x, [batch, .. sample.Select(d => (long)d)]))["output"].Floats;

            // TF.js takes NHWC: transpose image inputs.
            float[] xs = x;
            int[] tfShape = [batch, .. sample];
            if (sample.Length == 3)
            {
                int c = sample[0], h = sample[1], w = sample[2];
                xs = new float[x.Length];
                for (int n = 0; n < batch; n++) for (int ci = 0; ci < c; ci++) for (int y = 0; y < h; y++) for (int xi = 0; xi < w; xi++)
                    xs[((n * h + y) * w + xi) * c + ci] = x[((n * c + ci) * h + y) * w + xi];
                tfShape = [batch, h, w, c];
            }
            string input = Path.Combine(dir, "input.bin");
            File.WriteAllBytes(input, MemoryMarshal.AsBytes(xs.AsSpan()).ToArray());
            var (code, stdout, stderr) = Python.Run("node", [Path.Combine(NodeDir, "tfjs_predict.mjs"), Path.Combine(dir, "tfjs"), input, string.Join(",", tfShape)], 300);
            Assert.AreEqual(0, code, stderr + stdout);
            using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
            var actual = doc.RootElement.GetProperty("output").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            Assert.AreEqual(expected.Length, actual.Length, "output size");
            double diff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
            Console.WriteLine($"TF.js vs ORT: max abs diff {diff:E2} over {actual.Length} outputs");
            Assert.IsTrue(diff <= 1e-5, $"TF.js outputs differ from ORT by {diff}");
            Assert.IsTrue(expected.Any(v => Math.Abs(v) > 1e-3), "outputs are not all ~0 (the comparison means something)");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void UnsupportedLayerIsNamed()
    {
        var model = new Sequential(new Dense(4), new GELU());
        var e = Assert.ThrowsExactly<NotSupportedException>(() => TfJsExport.Save(model, [3], Path.Combine(Path.GetTempPath(), "tfjs-unsupported")));
        StringAssert.Contains(e.Message, "layer 2 (GELU)");
    }
}
