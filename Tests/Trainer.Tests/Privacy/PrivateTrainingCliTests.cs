using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Privacy;

namespace OnnxKit.Tests.Privacy;

/// <summary><c>onnxkit train --dp-…</c> as a real process: the privacy report in metrics.json and one-line errors.</summary>
[TestClass]
public sealed class PrivateTrainingCliTests
{
    [TestMethod]
    public void NoiseGivenReportsTheEpsilonSpentPerEpochAndInTotal()
    {
        string dir = Directory.CreateTempSubdirectory("cli_dp").FullName;
        try
        {
            string csv = Path.Combine(Python.RepoRoot, "data", "breast-cancer", "wdbc.csv");
            var (code, stdout, stderr) = OnnxkitCli.Run(["train", "--model", "mlp", "--dataset", csv, "--epochs", "2", "--batch-size", "32",
                "--dp-noise", "1.3", "--dp-clip", "0.5", "--plain", "--out", dir], 600);
            Assert.AreEqual(0, code, stdout + stderr);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
            var p = json.RootElement.GetProperty("privacy");
            double q = p.GetProperty("sample_rate").GetDouble();
            long steps = p.GetProperty("steps").GetInt64();
            Assert.AreEqual(1.3, p.GetProperty("noise_multiplier").GetDouble());
            Assert.AreEqual(0.5, p.GetProperty("max_grad_norm").GetDouble());
            Assert.AreEqual(1e-5, p.GetProperty("delta").GetDouble());
            StringAssert.Contains(p.GetProperty("accountant").GetString(), "Balle");
            int train = (int)Math.Round(32 / q);
            Assert.AreEqual(2L * ((train + 31) / 32), steps, "two epochs of ⌈N/32⌉ steps");
            var epochs = json.RootElement.GetProperty("epochs");
            double e1 = epochs[0].GetProperty("epsilon").GetDouble(), e2 = epochs[1].GetProperty("epsilon").GetDouble();
            Assert.AreEqual(RdpAccountant.Epsilon(q, 1.3, steps / 2, 1e-5).Epsilon, e1, 1e-9);
            Assert.AreEqual(RdpAccountant.Epsilon(q, 1.3, steps, 1e-5).Epsilon, e2, 1e-9);
            Assert.AreEqual(e2, p.GetProperty("epsilon").GetDouble(), 1e-12);
            Assert.IsTrue(e1 < e2, "privacy spent grows with the epochs");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    [DataRow(new[] { "--model", "resnet-small", "--dp-epsilon", "3" }, "BatchNorm")]
    [DataRow(new[] { "--dp-epsilon", "-1" }, "--dp-epsilon must be a positive number")]
    [DataRow(new[] { "--dp-epsilon", "1e-9" }, "out of reach")]
    [DataRow(new[] { "--dp-epsilon", "0.5", "--dp-noise", "0.3" }, "more than --dp-epsilon 0.5")]
    public void BadPrivacyRequestsAreOneLineErrors(string[] args, string expected)
    {
        var (code, stdout, stderr) = OnnxkitCli.Run(["train", "--epochs", "1", .. args, "--out", Path.Combine(Path.GetTempPath(), "onnxkit-cli-dp-bad")], 600);
        Assert.AreEqual(2, code, stdout + stderr);
        StringAssert.Contains(stderr, expected);
        Assert.IsFalse(stderr.Contains("   at "), "no stack trace: " + stderr);
    }
}
