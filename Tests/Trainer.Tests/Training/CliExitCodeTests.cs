using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Checkpoints;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>
/// The CLI's exit codes on mistakes and faults: 2 and one line for bad usage or data (checked before data is read,
/// leaving no empty output folder), 3 and one line for a diverged run (which keeps its last finite weights and writes
/// its metrics with null for non-finite values), never an unhandled exception.
/// </summary>
[TestClass]
public sealed class CliExitCodeTests
{
    private static readonly string Wdbc = Path.Combine(Python.RepoRoot, "data", "breast-cancer", "wdbc.csv");

    /// <summary>Exit code 2, one line on stderr holding each of <paramref name="expected"/>, no stack trace.</summary>
    internal static void AssertUsageError((int Code, string Out, string Err) r, params string[] expected)
    {
        Assert.AreEqual(2, r.Code, r.Out + r.Err);
        foreach (var e in expected) StringAssert.Contains(r.Err, e);
        Assert.AreEqual(1, r.Err.Trim().Split('\n').Length, $"one line: {r.Err}");
        Assert.IsFalse(r.Err.Contains("   at "), "no stack trace");
    }

    [TestMethod]
    public void BadOptionsAndDataExitWithCode2AndOneLine()
    {
        string root = Directory.CreateTempSubdirectory("cli_codes").FullName;
        try
        {
            string file = Path.Combine(root, "existing.txt");
            File.WriteAllText(file, "mine");
            AssertUsageError(OnnxkitCli.Run(["train", "--out", file], 120), "is an existing file");
            Assert.AreEqual("mine", File.ReadAllText(file), "the user's file is untouched");
            string fresh = Path.Combine(root, "fresh");
            AssertUsageError(OnnxkitCli.Run(["train", "--device", "gpu", "--out", fresh], 120), "unknown device 'gpu'");
            AssertUsageError(OnnxkitCli.Run(["train", "--validation-split", "1.5", "--out", fresh], 120), "1.5");
            Assert.IsFalse(Directory.Exists(fresh), "no output folder is left behind");

            // Bad CSVs are refused before training, naming file, line and column.
            string big = Path.Combine(root, "big_label.csv");
            File.WriteAllText(big, "a,b,label\n1,2,0\n3,4,1\n5,6,50000000\n");
            var r = OnnxkitCli.Run(["train", "--dataset", big, "--out", fresh], 120);
            AssertUsageError(r, "line 4, column 'label' (#3): label 50000000");
            StringAssert.Contains(r.Err, "--num-classes");
            string nan = Path.Combine(root, "nan.csv");
            File.WriteAllText(nan, "a,b,label\n1,2,0\n3,NaN,1\n5,6,1\n");
            AssertUsageError(OnnxkitCli.Run(["train", "--dataset", nan, "--out", fresh], 120), "line 3, column 'b' (#2): 'NaN' is not a finite number");
            Assert.IsFalse(Directory.Exists(fresh), "no output folder is left behind");

            // A model and a dataset that do not fit each other.
            string run = Path.Combine(root, "run");
            var t = OnnxkitCli.Run(["train", "--dataset", Wdbc, "--epochs", "1", "--plain", "--out", run], 300);
            Assert.AreEqual(0, t.Code, t.Err);
            string model = Path.Combine(run, "model.onnx");
            AssertUsageError(OnnxkitCli.Run(["evaluate", "--model", model, "--dataset", "fashion-mnist"], 120), "30]");
            AssertUsageError(OnnxkitCli.Run(["finetune", model, "--dataset", "fashion-mnist", "--out", Path.Combine(root, "ft"), "--plain"], 120), "input");
            Assert.IsFalse(Directory.Exists(Path.Combine(root, "ft")));
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void SessionSettingsAreCheckedOnceNamingTheOptionAtFault()
    {
        string root = Directory.CreateTempSubdirectory("cli_settings").FullName;
        try
        {
            string fresh = Path.Combine(root, "fresh");
            foreach (var threads in new[] { "0", "-3" })
            {
                var r = OnnxkitCli.Run(["train", "--threads", threads, "--out", fresh], 120);
                AssertUsageError(r, $"--threads must be at least 1, got {threads}");
                Assert.IsFalse(r.Err.Contains("--device"), r.Err);
            }
            var d = OnnxkitCli.Run(["train", "--device", "cuda:x", "--threads", "1", "--out", fresh], 120);
            AssertUsageError(d, "--device cuda:x", "unknown device 'cuda:x'");
            Assert.IsFalse(d.Err.Contains("--threads"), d.Err);
            // finetune and tune share the check.
            AssertUsageError(OnnxkitCli.Run(["finetune", Wdbc, "--threads", "0", "--out", fresh], 120), "--threads must be at least 1, got 0");
            AssertUsageError(OnnxkitCli.Run(["tune", "--dataset", Wdbc, "--threads", "0", "--out", fresh], 120), "--threads must be at least 1, got 0");
            Assert.IsFalse(Directory.Exists(fresh), "no output folder is left behind");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void TabularSampleScoreWithoutAPathIsAUsageError()
    {
        string dll = Path.Combine(Python.RepoRoot, "samples", "TabularMLNet", "bin", "Debug", "net10.0", "TabularMLNet.dll");
        if (!File.Exists(dll)) Assert.Inconclusive($"build the sample first ({dll})");
        AssertUsageError(Python.Run("dotnet", [dll, "score"], 120), "needs the model path");
    }

    [TestMethod]
    public void DivergedRunExitsWithCode3KeepsFiniteWeightsAndWritesNullMetrics()
    {
        string dir = Directory.CreateTempSubdirectory("cli_diverge").FullName;
        try
        {
            var r = OnnxkitCli.Run(["train", "--dataset", Wdbc, "--optimizer", "sgd", "--lr", "1e6", "--epochs", "3", "--plain", "--out", dir], 300);
            Assert.AreEqual(3, r.Code, r.Out + r.Err);
            Assert.AreEqual(1, r.Err.Trim().Split('\n').Length, r.Err);
            StringAssert.Contains(r.Err, "diverged");
            StringAssert.Contains(r.Err, "lower --lr");
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
            var last = json.RootElement.GetProperty("epochs").EnumerateArray().Last();
            Assert.AreEqual(JsonValueKind.Null, last.GetProperty("train_loss").ValueKind, "a non-finite loss is written as null");
            foreach (var f in new[] { "metrics.csv", "learning_curves.png", "model.onnx" })
                Assert.IsTrue(File.Exists(Path.Combine(dir, f)), f);
            var weights = OnnxKit.IR.OnnxModel.Load(Path.Combine(dir, "model.onnx")).Graph.Initializers
                .Where(i => i.ElementType == OnnxKit.IR.ElementType.Float32).SelectMany(i => OnnxKit.IR.TensorData.ToFloatArray(i.ToInlineProto()));
            Assert.IsTrue(weights.All(float.IsFinite), "the exported model holds the last finite weights");
            if (File.Exists(Path.Combine(dir, "last.safetensors")))
                Assert.IsTrue(SafeTensors.Read(Path.Combine(dir, "last.safetensors")).Tensors.Where(t => t.Type == OnnxKit.IR.ElementType.Float32)
                    .All(t => t.ToFloats().All(float.IsFinite)), "last.safetensors is the last finite checkpoint");
        }
        finally { Directory.Delete(dir, true); }
    }
}
