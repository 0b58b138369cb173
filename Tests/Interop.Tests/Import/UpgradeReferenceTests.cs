using Microsoft.ML.OnnxRuntime;
using OnnxKit.Interop;
using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>
/// Models written for old opsets (Tests/scripts/import_old_opsets.py, onnx 1.12's helper) are upgraded by the importer
/// and must compute what they computed before: compared with ONNX Runtime running the original opset, and with the same
/// model upgraded by onnx.version_converter where that converter keeps the original's numbers.
/// </summary>
[TestClass]
public sealed class UpgradeReferenceTests
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), "onnxkit-import-old-opsets-" + Environment.ProcessId);
        Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "import_old_opsets.py"), dir);
        return dir;
    });

    [ClassCleanup]
    public static void DeleteFolder()
    {
        if (Folder.IsValueCreated && Directory.Exists(Folder.Value)) Directory.Delete(Folder.Value, true);
    }

    public static IEnumerable<object[]> Cases => new[]
    {
        "dropout7", "batchnorm9", "batchnorm6", "split11", "squeeze11", "reducesum11", "upsample9_nearest", "upsample7_linear",
        "resize10_nearest", "softmax11_axis1", "logsoftmax11_axis0", "softmax9_last", "clip10", "pad10", "pad10_reflect",
        "slice9", "topk9", "add6_broadcast_axis",
    }.Select(c => new object[] { c });

    [TestMethod, DynamicData(nameof(Cases))]
    public void UpgradedModelComputesWhatTheOriginalDid(string name)
    {
        Python.Require("onnx", "numpy");
        string path = Path.Combine(Folder.Value, name + ".onnx");
        var original = OnnxModel.Load(path);
        var imported = ModelImporter.Load(path);
        Assert.AreEqual((long)InteropInfo.CanonicalOpset, imported.Model.Opset);
        Assert.IsTrue(imported.Changes.Count > 1, $"{name}: the upgrade changed nothing ({string.Join("; ", imported.Changes)})");

        var rnd = new Random(name.Length * 31 + 7);
        var feeds = BackendData.FedInputs(original).Select(i =>
        {
            var shape = TensorType.FromProto(i.Type)!.Shape!.ToArray();
            var data = Enumerable.Range(0, (int)shape.Aggregate(1L, (a, d) => a * d)).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
            return HostTensor.F32(i.Name, data, shape);
        }).ToArray();
        var ours = OrtRun.Run(imported.Model, feeds);

        int references = 0;
        Dictionary<string, HostTensor>? before = null;
        try { before = OrtRun.Run(original, feeds); }
        catch (OnnxRuntimeException) { /* ONNX Runtime has no kernels for opsets before 7 */ }
        if (before is not null) { AssertSame(before, ours, $"{name}: upgraded vs ONNX Runtime on opset {original.Opset}"); references++; }

        string v17 = Path.Combine(Folder.Value, name + ".v17.onnx");
        if (File.Exists(v17))
        {
            var theirs = OrtRun.Run(OnnxModel.Load(v17), feeds);
            // onnx's converter is a reference only where it keeps the original numbers (its Upsample adapter, for one,
            // switches to half-pixel coordinates).
            if (before is null || Same(before, theirs)) { AssertSame(theirs, ours, $"{name}: upgraded vs onnx.version_converter"); references++; }
            else Console.WriteLine($"{name}: onnx.version_converter's opset-17 model computes other numbers than the original; not used as a reference");
        }
        if (name == "add6_broadcast_axis")
        {
            // Legacy broadcast along axis 1: y[n, c, h, w] = x[n, c, h, w] + b[c], by hand.
            var x = feeds[0].Floats; var b = feeds[1].Floats; var y = ours["y"].Floats;
            var expected = x.Select((v, i) => v + b[i / 20 % 3]).ToArray();
            Compare.Close(expected, y, 1e-6, 0, $"{name}: by hand");
            references++;
        }
        Assert.IsTrue(references > 0, $"{name}: no reference could run");
    }

    private static bool Same(Dictionary<string, HostTensor> a, Dictionary<string, HostTensor> b) =>
        a.Keys.All(k => b.ContainsKey(k) && a[k].Shape.SequenceEqual(b[k].Shape) &&
            a[k].Doubles.Zip(b[k].Doubles).All(p => Math.Abs(p.First - p.Second) <= 1e-5 + 1e-5 * Math.Abs(p.First)));

    private static void AssertSame(Dictionary<string, HostTensor> expected, Dictionary<string, HostTensor> actual, string what)
    {
        foreach (var (k, e) in expected)
        {
            Assert.IsTrue(actual.ContainsKey(k), $"{what}: output '{k}' missing");
            CollectionAssert.AreEqual(e.Shape, actual[k].Shape, $"{what}: shape of '{k}'");
            Compare.Close(e.Doubles, actual[k].Doubles, 1e-6, 1e-5, $"{what}: '{k}'");
        }
    }

    [TestMethod]
    public void TorchOpset9ExportImportsFoldsAndMatchesTorch()
    {
        Python.Require("torch", "onnx");
        string dir = Folder.Value;
        var imported = ModelImporter.Load(Path.Combine(dir, "torch_opset9.onnx"));
        var m = imported.Model;
        Assert.AreEqual(0, imported.ShapeIssues.Count, "shape issues: " + string.Join("; ", imported.ShapeIssues));
        Assert.IsTrue(imported.FoldedValues > 0, "the static view() shape sub-graph is folded");
        Assert.IsFalse(m.Graph.Nodes.Any(n => n.OpType is "Shape" or "Gather" or "Upsample"), string.Join(", ", m.Graph.Nodes.Select(n => n.OpType)));
        Assert.IsTrue(m.Graph.Nodes.Any(n => n.OpType == "Resize"));
        // Resize (from Upsample) has no gradient rule: the report names it as the one node that stops training the conv
        // and batch-norm weights before it.
        var blockers = imported.Trainability!.Blockers;
        Assert.AreEqual("Resize", blockers.Single().OpType, imported.Trainability.Render());
        Assert.IsTrue(TrainabilityReport.Analyze(m, ["fc.weight", "fc.bias"]).IsTrainable, "the layer after the Resize trains");
        var x = BackendData.ReadTensor(Path.Combine(dir, "torch_opset9_input.pb"));
        var y = BackendData.ReadTensor(Path.Combine(dir, "torch_opset9_output.pb"));
        var outs = OrtRun.Run(m, HostTensor.F32("x", TensorData.ToFloatArray(x), x.Dims.ToArray()));
        Compare.Close(TensorData.ToDoubleArray(y), outs["y"].Doubles, 1e-5, 1e-4, "softmax output vs torch 1.13");
    }
}
