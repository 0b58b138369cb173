using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>A model saved by OnnxKit runs in onnxruntime-node (another ORT binding) with the same results as in C#.</summary>
[TestClass]
public sealed class ModelIoNodeTests
{
    private static string NodeDir => Path.Combine(Python.RepoRoot, "Tests", "node");

    private static void RequireNode()
    {
        bool hasNode;
        try { hasNode = Python.Run("node", ["--version"], 60).ExitCode == 0; }
        catch (System.ComponentModel.Win32Exception) { hasNode = false; }
        if (!hasNode) Assert.Inconclusive("needs 'node' (Node.js) on PATH");
        if (!Directory.Exists(Path.Combine(NodeDir, "node_modules", "onnxruntime-node")))
            Assert.Inconclusive($"needs onnxruntime-node: run 'npm install' in {NodeDir}");
    }

    /// <summary>Runs the model with Tests/node/run_model.mjs and returns its outputs.</summary>
    private static Dictionary<string, HostTensor> RunInNode(string modelPath, string workDir, params HostTensor[] inputs)
    {
        var feeds = inputs.ToDictionary(i => i.Name, i => (object)new
        {
            type = i.Type switch { ElementType.Float32 => "float32", ElementType.Float64 => "float64", ElementType.Int64 => "int64", var t => throw new NotSupportedException(t.ToString()) },
            dims = i.Shape,
            data = i.Doubles,
        });
        var inputsPath = Path.Combine(workDir, "inputs.json");
        File.WriteAllText(inputsPath, JsonSerializer.Serialize(feeds));
        var (code, stdout, stderr) = Python.Run("node", [Path.Combine(NodeDir, "run_model.mjs"), modelPath, inputsPath], 300);
        if (code != 0) Assert.Fail($"node run_model.mjs failed ({code}):\n{stderr}\n{stdout}");
        using var doc = JsonDocument.Parse(stdout);
        var result = new Dictionary<string, HostTensor>();
        foreach (var o in doc.RootElement.EnumerateObject())
        {
            Assert.AreEqual("float32", o.Value.GetProperty("type").GetString(), $"type of output '{o.Name}'");
            var dims = o.Value.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var data = o.Value.GetProperty("data").EnumerateArray().Select(d => (float)d.GetDouble()).ToArray();
            result[o.Name] = HostTensor.F32(o.Name, data, dims);
        }
        return result;
    }

    [TestMethod]
    public void SeedNetworkRunsTheSameInNodeAndCSharp()
    {
        RequireNode();
        using var tmp = new TempDir();
        // The seed network: Flatten → Dense(128, relu) → Dropout(0.2) → Dense(10, softmax) on [batch, 28, 28].
        // Dropout is the identity in inference, and an inference export leaves it out (as PyTorch's eval export does).
        var g = new GraphBuilder("fashion_mlp");
        var x = g.Input("image", ElementType.Float32, "batch", 28, 28);
        var net = new Sequential(new Dense(128, Activation.Relu), new Dense(10, Activation.Softmax));
        var probs = g.Output(net.Call(Op.Flatten(x, 1)), "probs");
        Assert.AreEqual("float[batch, 10]", probs.Type.ToString());
        var model = g.Build();
        var path = tmp["fashion_mlp.onnx"];
        model.Save(path);
        ModelIoCheckerTests.AssertPasses(path);

        var r = new Random(42);
        var image = HostTensor.F32("image", Enumerable.Range(0, 3 * 28 * 28).Select(_ => (float)r.NextDouble()).ToArray(), 3, 28, 28);
        var inCSharp = OrtRun.Run(File.ReadAllBytes(path), image)["probs"];
        var inNode = RunInNode(path, tmp.Path, image)["probs"];

        CollectionAssert.AreEqual(new long[] { 3, 10 }, inCSharp.Shape);
        CollectionAssert.AreEqual(inCSharp.Shape, inNode.Shape, "shape in Node");
        Compare.Close(inCSharp.Doubles, inNode.Doubles, 1e-6, 0, "probs, Node vs C#");
        Console.WriteLine($"seed network: max |Node − C#| = {Compare.MaxAbs(inCSharp.Doubles, inNode.Doubles):E2}");
        // Not a constant model: rows sum to 1 and differ between images.
        for (int row = 0; row < 3; row++)
            Assert.AreEqual(1.0, inCSharp.Doubles.Skip(row * 10).Take(10).Sum(), 1e-5, $"row {row} sums to 1");
        Assert.IsTrue(Compare.MaxAbs(inCSharp.Doubles[..10], inCSharp.Doubles[10..20]) > 1e-4, "different images give different outputs");
    }

    [TestMethod]
    public void PyTorchFixturesRunInNodeAsTheyDidInPyTorch()
    {
        RequireNode();
        using var tmp = new TempDir();
        foreach (var name in new[] { "torch_mlp", "torch_cnn", "torch_encoder" })
        {
            var source = Path.Combine(DataDir, name + ".onnx");
            var path = tmp[name + ".onnx"];
            OnnxModel.Load(source).Save(path, new SaveOptions { UseExternalData = true });
            var sample = SamplesFor(source).First();
            var outs = RunInNode(path, tmp.Path, sample.Inputs);
            foreach (var expected in sample.Outputs)
            {
                Console.WriteLine($"{name} '{expected.Name}': max |Node − PyTorch| = {Compare.MaxAbs(expected.Doubles, outs[expected.Name].Doubles):E2}");
                Compare.Close(expected.Doubles, outs[expected.Name].Doubles, 1e-5, 0, $"{name} '{expected.Name}' in Node (external data) vs {sample.Reference}");
            }
        }
    }
}
