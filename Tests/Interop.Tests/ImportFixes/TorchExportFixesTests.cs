using System.Text.Json;
using OnnxKit.Interop.Inspect;
using OnnxKit.Interop.Transfer;
using OnnxKit.Interop.Weights;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;

namespace OnnxKit.Tests.Interop.ImportFixes;

/// <summary>
/// What PyTorch 1.13's exporter does to a model, on exports made by a script in the test: BatchNorm folded by an
/// eval-mode export (reported; not reported where nothing was folded), weights renamed <c>onnx::…</c> (given their
/// state_dict names back so that <c>load_state_dict(strict=True)</c> takes OnnxKit's checkpoint), the parameter count
/// (PyTorch's own), and a replaced head that keeps the imported names and final Softmax.
/// </summary>
[TestClass]
public sealed class TorchExportFixesTests
{
    private static string _dir = "";

    [ClassInitialize]
    public static void Export(TestContext _)
    {
        if (!Python.Has("torch", "onnx")) return;
        _dir = Directory.CreateTempSubdirectory("torch-export-fixes-").FullName;
        Python.RunScript(Script, "export", _dir);
    }

    [ClassCleanup]
    public static void Cleanup() { if (_dir.Length > 0) Directory.Delete(_dir, recursive: true); }

    private static string Script => Path.Combine(Python.RepoRoot, "Tests", "scripts", "import_fixes.py");

    private static OnnxModel Load(string name)
    {
        Python.Require("torch", "onnx");
        return OnnxModel.Load(Path.Combine(_dir, name + ".onnx"));
    }

    [TestMethod]
    public void FoldedBatchNormIsReportedWithTheFixOnlyWhereTheExportFoldedIt()
    {
        var folded = ModelInspector.Inspect(Load("folded"));
        Assert.AreEqual(1, folded.ExportWarnings.Count);
        StringAssert.Contains(folded.ExportWarnings[0], "training=torch.onnx.TrainingMode.PRESERVE");
        StringAssert.Contains(folded.ExportWarnings[0], "2 convolution(s)");
        Assert.IsTrue(Load("folded").MakeTrainable().Report.Any(l => l.Contains("BatchNorm looks folded")), "finetune prints the model's report");
        foreach (var name in new[] { "kept", "convonly", "seq", "twobn" })
        {
            Assert.AreEqual(0, ModelInspector.Inspect(Load(name)).ExportWarnings.Count, name);
            Assert.IsFalse(Load(name).MakeTrainable().Report.Any(l => l.Contains("folded")), name);
        }
    }

    [TestMethod]
    public void ParameterCountIsPyTorchsWhereTheExportKeptTheModules()
    {
        Python.Require("torch", "onnx");
        using var counts = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "counts.json")));
        foreach (var name in new[] { "kept", "convonly", "seq", "twobn" })
            Assert.AreEqual(counts.RootElement.GetProperty(name).GetInt64(), ModelInspector.Inspect(Load(name)).ParameterCount, name);
        var twoBn = ModelInspector.Inspect(Load("twobn"));
        Assert.IsTrue(twoBn.SharedCopies > 0, "the fresh BatchNorms' equal tensors are stored once: the case this counts");
        Assert.AreEqual(2 * 2 * 4L, twoBn.BufferCount, "running mean and variance of two 4-channel BatchNorms");
        StringAssert.Contains(ModelInspector.Render(twoBn), "BatchNorm running-statistic values are buffers");
    }

    private static HostTensor Probe()
    {
        var rng = new Random(7);
        return HostTensor.F32("image", Enumerable.Range(0, 4 * 5 * 6).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), 4, 5, 6);
    }

    [TestMethod]
    public void ExporterNamedWeightsGetStateDictNamesAndLoadStrictlyIntoPyTorch()
    {
        var source = Load("seq");
        Assert.IsTrue(source.Graph.Initializers.Count(i => i.Name.StartsWith("onnx::", StringComparison.Ordinal)) >= 3, "the export renamed the weights");
        var model = source.MakeTrainable();
        var shapes = model.Parameters().ToDictionary(p => p.FullName, p => string.Join("x", p.Shape));
        CollectionAssert.AreEquivalent(new[] { "embed.weight", "embed.bias", "gn.weight", "gn.bias", "head.weight", "head.bias" }, shapes.Keys.ToArray());
        Assert.AreEqual("12x6", shapes["embed.weight"], "the MatMul weight [in, out] is transposed back to Linear's [out, in]");
        Assert.AreEqual("12", shapes["gn.weight"], "GroupNorm's affine [C, 1] becomes [C]");

        // Replayed with the recovered names, the module computes what the file computes.
        var type = new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), Dim.Of(5), Dim.Of(6)));
        var original = OrtRun.Run(source, Probe())["probs"].Floats;
        var replayed = OrtRun.Run(TrainingArtifacts.BuildInference(model, type), Probe() with { Name = TrainingArtifacts.InputName })["output"].Floats;
        Compare.Close(original, replayed, 1e-6);

        // Changed weights (as after training) go back into PyTorch under their names and give OnnxKit's outputs.
        foreach (var p in model.Parameters()) p.Data = p.Data.Select((v, i) => v * 1.25f + 0.02f * (i % 5 - 2)).ToArray();
        var outputs = OrtRun.Run(TrainingArtifacts.BuildInference(model, type), Probe() with { Name = TrainingArtifacts.InputName })["output"].Floats;
        Assert.IsTrue(outputs.Zip(original).Max(t => Math.Abs(t.First - t.Second)) > 1e-3, "the changed weights change the outputs");
        StateDict.Save(model, Path.Combine(_dir, "seq.safetensors"));
        File.WriteAllBytes(Path.Combine(_dir, "probe.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(((float[])Probe().Data).AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(_dir, "probe_out.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(outputs.AsSpan()).ToArray());
        using var check = JsonDocument.Parse(Python.RunScript(Script, "check", _dir).Trim().Split('\n')[^1]);
        double diff = check.RootElement.GetProperty("max_abs_diff").GetDouble();
        Assert.IsTrue(diff <= 1e-5, $"PyTorch with OnnxKit's state_dict differs by {diff}");
    }

    [TestMethod]
    public void ReplacedHeadKeepsTheImportedNamesAndFinalSoftmax()
    {
        var model = Load("seq").MakeTrainable().SeparateOutputActivation();
        Assert.AreEqual("Softmax", model.OutputActivation?.OpType, "training sees the logits");
        model = model.ReplaceHead(3);
        Assert.AreEqual("head", model.Appended.Single().Name);
        var type = new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), Dim.Of(5), Dim.Of(6)));

        var logitsModel = TrainingArtifacts.BuildInference(model, type);
        var logits = OrtRun.Run(logitsModel, Probe() with { Name = TrainingArtifacts.InputName })["output"].Floats;
        var kept = TrainingArtifacts.BuildInference(model, type);
        ExportedInterface.Restore(kept, model);
        Assert.AreEqual("image", kept.Graph.Inputs.Single().Name);
        Assert.AreEqual("probs", kept.Graph.Outputs.Single().Name);
        var probs = OrtRun.Run(kept, Probe())["probs"];
        CollectionAssert.AreEqual(new long[] { 4, 3 }, probs.Shape);
        for (int r = 0; r < 4; r++)
        {
            var row = logits.Skip(3 * r).Take(3).Select(v => Math.Exp(v)).ToArray();
            for (int c = 0; c < 3; c++) Assert.AreEqual(row[c] / row.Sum(), probs.Floats[3 * r + c], 1e-6, "softmax of the head's logits");
        }

        var plain = TrainingArtifacts.BuildInference(model, type);
        ExportedInterface.Restore(plain, model, names: false, activation: false);
        CollectionAssert.AreEqual(logits, OrtRun.Run(plain, Probe() with { Name = TrainingArtifacts.InputName })["output"].Floats, "told otherwise: input/output and the logits");
    }
}
