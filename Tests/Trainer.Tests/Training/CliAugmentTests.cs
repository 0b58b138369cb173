using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Checkpoints;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary><c>onnxkit train --augment</c>: names and values checked before any data is read, image transforms refused on feature vectors, and the augmentation reaching training.</summary>
[TestClass]
public sealed class CliAugmentTests
{
    private static readonly string Wdbc = Path.Combine(Python.RepoRoot, "data", "breast-cancer", "wdbc.csv");

    [TestMethod]
    public void MistakesExitWith2NamingTheValidAugmentations()
    {
        string root = Directory.CreateTempSubdirectory("cli_augment").FullName;
        try
        {
            string fresh = Path.Combine(root, "fresh");
            CliExitCodeTests.AssertUsageError(OnnxkitCli.Run(["train", "--augment", "random-crop,mirror", "--out", fresh], 120),
                "unknown augmentation 'mirror'", "random-crop[=PAD] (default 2), hflip[=P] (default 0.5), noise[=STD] (default 0.05)");
            CliExitCodeTests.AssertUsageError(OnnxkitCli.Run(["train", "--augment", "hflip=often", "--out", fresh], 120), "hflip takes a number (P), got 'often'");
            CliExitCodeTests.AssertUsageError(OnnxkitCli.Run(["train", "--augment", "hflip=1.5", "--out", fresh], 120), "hflip=1.5", "[0, 1]");
            CliExitCodeTests.AssertUsageError(OnnxkitCli.Run(["train", "--augment", "random-crop=2.5", "--out", fresh], 120), "random-crop=2.5", "whole number");
            CliExitCodeTests.AssertUsageError(OnnxkitCli.Run(["train", "--augment", "noise=-1", "--out", fresh], 120), "noise=-1", "non-negative");
            // Image transforms on a table of features: refused once the data is read, before the output folder is made.
            CliExitCodeTests.AssertUsageError(OnnxkitCli.Run(["train", "--dataset", Wdbc, "--augment", "noise,hflip", "--out", fresh], 120),
                "--augment on", "HorizontalFlip: expected image samples [C, H, W] or [H, W], found shape [30]");
            Assert.IsFalse(Directory.Exists(fresh), "no output folder is left behind");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void NoiseReachesTrainingAndIsRecordedInTheMetrics()
    {
        string root = Directory.CreateTempSubdirectory("cli_augment_run").FullName;
        try
        {
            byte[] Run(string name, params string[] extra)
            {
                string dir = Path.Combine(root, name);
                var r = OnnxkitCli.Run(["train", "--dataset", Wdbc, "--epochs", "1", "--plain", "--threads", "1", "--out", dir, .. extra], 300);
                Assert.AreEqual(0, r.Code, r.Err);
                return SafeTensors.Read(Path.Combine(dir, "last.safetensors")).Tensors.SelectMany(t => t.Bytes.ToArray()).ToArray();
            }
            var plain = Run("plain");
            var again = Run("again");
            var noisy = Run("noisy", "--augment", "noise=0.5");
            CollectionAssert.AreEqual(plain, again, "training is deterministic without augmentation");
            CollectionAssert.AreNotEqual(plain, noisy, "the noise changed the batches the steps saw");
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "noisy", "metrics.json")));
            Assert.AreEqual("noise=0.5", json.RootElement.GetProperty("augment").GetString());
        }
        finally { Directory.Delete(root, true); }
    }
}
