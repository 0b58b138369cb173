using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>The <c>onnxkit</c> command run as a real process: output and one-line errors for bad input.</summary>
[TestClass]
public sealed class CliTests
{
    private static string Cli => OnnxkitCli.Dll;

    private static (int Code, string Out, string Err) Onnxkit(params string[] args) => OnnxkitCli.Run(args, 600);

    [TestMethod]
    [DataRow(new[] { "train", "--model", "alexnet" }, "unknown architecture 'alexnet'")]
    [DataRow(new[] { "train", "--batch-size", "0" }, "--batch-size must be at least 1")]
    [DataRow(new[] { "train", "--dataset", "imagenet" }, "unknown dataset 'imagenet'")]
    [DataRow(new[] { "train", "--optimizer", "adamx" }, "unknown optimizer 'adamx'")]
    [DataRow(new[] { "train", "--lr", "-1" }, "--lr must be positive")]
    [DataRow(new[] { "train", "--weight-decay", "-0.1" }, "--weight-decay must be 0 or more, got -0.1")]
    [DataRow(new[] { "train", "--normalize", "minmax" }, "--normalize must be 'standardize' or 'none', got 'minmax'")]
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
    public void TheMainJobReachesTheAccuracyBarAndWritesTheRunFolder()
    {
        string dir = Directory.CreateTempSubdirectory("cli_train").FullName;
        try
        {
            var (code, stdout, stderr) = Onnxkit("train", "--plain", "--out", dir); // README's main job: 5 epochs of the seed MLP
            Assert.AreEqual(0, code, stderr);
            StringAssert.Contains(stdout, "step 105/422");   // 10% of the 60,000 held out for validation
            StringAssert.Matches(stdout, new System.Text.RegularExpressions.Regex(@"epoch 5/5 +[0-9.]+s +loss [0-9.]+ +accuracy 0\.[0-9]+ +val_loss"));
            foreach (var f in new[] { "model.onnx", "metrics.json", "metrics.csv", "learning_curves.png", "confusion_matrix.png", "last.safetensors", "artifacts/train_step.onnx", "artifacts/manifest.json" })
                Assert.IsTrue(new FileInfo(Path.Combine(dir, f)).Length > 0, $"{f} written and non-empty");
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
            var e0 = json.RootElement.GetProperty("epochs")[0];
            foreach (var k in new[] { "epoch", "seconds", "train_loss", "train_accuracy", "val_loss", "val_accuracy" }) Assert.IsTrue(e0.TryGetProperty(k, out _), k);
            double acc = json.RootElement.GetProperty("test_accuracy").GetDouble();
            // Over seeds 0–4 the main job ends between 0.866 and 0.877 (mean 0.870 before the current Dropout masks, 0.871
            // with them; bench/RESULTS.md): 0.87 was the mean, so a bar there failed one seed in two. 0.86 is about three
            // standard deviations of that spread below the mean; a broken trainer lands far lower.
            Assert.IsTrue(acc >= 0.86, $"5 epochs of the seed MLP reach {acc}; the bar is 0.86");
            // The standardisation fitted on the training split travels inside the model (pixels in [0,1] go in).
            var exported = OnnxKit.IR.OnnxModel.Load(Path.Combine(dir, "model.onnx"));
            StringAssert.Contains(exported.Metadata["input_standardization"], "\"mean\":[0.286");
            Assert.IsFalse(exported.Metadata.ContainsKey("normalization"), "servers must not standardise a second time");
            // The PNG signature, not just any bytes.
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(dir, "confusion_matrix.png"))[..4]);

            var (icode, iout, ierr) = Onnxkit("inspect", Path.Combine(dir, "model.onnx"));
            Assert.AreEqual(0, icode, ierr);
            StringAssert.Contains(iout, "input: float[batch, 1, 28, 28]");
            StringAssert.Contains(iout, "101,770");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void OnATerminalTheProgressIsALiveBarAndEachEpochLeavesASummaryLine()
    {
        // util-linux `script` runs the command on a pseudo-terminal, so Spectre.Console sees a real terminal.
        if (Python.Run("script", ["--version"], 30).ExitCode != 0) Assert.Inconclusive("needs util-linux 'script' for a pseudo-terminal");
        string dir = Directory.CreateTempSubdirectory("cli_pty").FullName;
        try
        {
            string command = $"dotnet '{Cli}' train --epochs 2 --threads 1 --out '{dir}'";
            var start = new System.Diagnostics.ProcessStartInfo("script", ["-q", "-e", "-c", command, "/dev/null"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            };
            start.Environment.Remove("CI");                 // CI=… forces plain lines on purpose
            start.Environment["TERM"] = "xterm-256color";
            start.Environment["COLUMNS"] = "120";
            using var p = System.Diagnostics.Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            Assert.IsTrue(p.WaitForExit(600_000), "training on a pseudo-terminal did not finish");
            string output = stdout.Result;
            Assert.AreEqual(0, p.ExitCode, output);
            StringAssert.Contains(output, "\u001b[", "ANSI control sequences: the live display redraws in place");
            StringAssert.Contains(output, "━", "the progress bar is drawn");
            StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"epoch 1/2 \S* ?\d+/422"), "the bar's label counts steps");
            StringAssert.Contains(output, "samples/s", "throughput shown");
            foreach (var epoch in new[] { "epoch 1/2", "epoch 2/2" })
                StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(epoch + @" +[0-9.]+s +loss"), "a summary line per epoch");
            Assert.IsFalse(output.Contains("step 105/422"), "plain progress lines are not used on a terminal");
        }
        finally { Directory.Delete(dir, true); }
    }
}
