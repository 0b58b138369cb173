using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>The <c>onnxkit</c> command run as a real process: output and one-line errors for bad input.</summary>
[TestClass]
public sealed class CliTests
{
    private static string Cli
    {
        get
        {
            foreach (var c in new[] { "Debug", "Release" })
            {
                string p = Path.Combine(Python.RepoRoot, "Cli", "bin", c, "net10.0", "onnxkit.dll");
                if (File.Exists(p)) return p;
            }
            Assert.Inconclusive("build the CLI first (dotnet build OnnxKit.sln)");
            return "";
        }
    }

    private static (int Code, string Out, string Err) Onnxkit(params string[] args) => Python.Run("dotnet", [Cli, .. args], 600);

    [TestMethod]
    [DataRow(new[] { "train", "--model", "alexnet" }, "unknown architecture 'alexnet'")]
    [DataRow(new[] { "train", "--batch-size", "0" }, "--batch-size must be at least 1")]
    [DataRow(new[] { "train", "--dataset", "imagenet" }, "unknown dataset 'imagenet'")]
    [DataRow(new[] { "train", "--optimizer", "adamx" }, "unknown optimizer 'adamx'")]
    [DataRow(new[] { "train", "--lr", "-1" }, "--lr must be positive")]
    [DataRow(new[] { "inspect", "no/such/model.onnx" }, "no/such/model.onnx")]
    public void BadInputIsAOneLineErrorNamingTheValue(string[] args, string expected)
    {
        string[] full = args[0] == "inspect" ? args : [.. args, "--out", Path.Combine(Path.GetTempPath(), "onnxkit-cli-bad")];
        var (code, stdout, stderr) = Onnxkit(full);
        Assert.AreEqual(2, code, stdout + stderr);
        StringAssert.Contains(stderr, expected);
        Assert.IsFalse(stderr.Contains("   at "), "no stack trace: " + stderr);
    }

    [TestMethod]
    public void TrainWritesPlainProgressAndTheRunFolder()
    {
        string dir = Directory.CreateTempSubdirectory("cli_train").FullName;
        try
        {
            var (code, stdout, stderr) = Onnxkit("train", "--epochs", "1", "--plain", "--threads", "1", "--out", dir);
            Assert.AreEqual(0, code, stderr);
            StringAssert.Contains(stdout, "step 117/469");
            StringAssert.Matches(stdout, new System.Text.RegularExpressions.Regex(@"epoch 1/1 +[0-9.]+s +loss [0-9.]+ +accuracy 0\.[0-9]+ +val_loss"));
            foreach (var f in new[] { "model.onnx", "metrics.json", "metrics.csv", "learning_curves.png", "confusion_matrix.png", "last.safetensors", "artifacts/train_step.onnx", "artifacts/manifest.json" })
                Assert.IsTrue(new FileInfo(Path.Combine(dir, f)).Length > 0, $"{f} written and non-empty");
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
            var e0 = json.RootElement.GetProperty("epochs")[0];
            foreach (var k in new[] { "epoch", "seconds", "train_loss", "train_accuracy", "val_loss", "val_accuracy" }) Assert.IsTrue(e0.TryGetProperty(k, out _), k);
            double acc = json.RootElement.GetProperty("test_accuracy").GetDouble();
            Assert.IsTrue(acc > 0.78, $"one epoch of the seed MLP reaches {acc}");
            // The PNG signature, not just any bytes.
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(dir, "confusion_matrix.png"))[..4]);

            var (icode, iout, ierr) = Onnxkit("inspect", Path.Combine(dir, "model.onnx"));
            Assert.AreEqual(0, icode, ierr);
            StringAssert.Contains(iout, "input: float[batch, 1, 28, 28]");
            StringAssert.Contains(iout, "101,770");
        }
        finally { Directory.Delete(dir, true); }
    }
}
