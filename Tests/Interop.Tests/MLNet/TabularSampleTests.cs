using OnnxKit.Samples.TabularMLNet;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.MLNet;

/// <summary>
/// The ML.NET tabular sample: its core on the fixed split (the OnnxKit MLP against ML.NET's built-in trainers), and its
/// deployment half — a pipeline saved in one process and scored in another.
/// </summary>
[TestClass]
public sealed class TabularSampleTests
{
    [TestMethod]
    public void OnnxKitMlpIsWithinTwoPointsOfTheBestBuiltInTrainer()
    {
        var results = BreastCancerComparison.Run(Path.Combine(Python.RepoRoot, BreastCancerComparison.DataFile), seed: 1);
        Assert.AreEqual(3, results.Count);
        var mine = results[0];
        StringAssert.StartsWith(mine.Name, "OnnxKit");
        var builtIns = results.Skip(1).ToList();
        double bestAccuracy = builtIns.Max(r => r.Accuracy), bestAuc = builtIns.Max(r => r.Auc);
        string table = string.Join("; ", results.Select(r => $"{r.Name}: accuracy {r.Accuracy:F4}, AUC {r.Auc:F4}"));
        Assert.IsTrue(mine.Accuracy >= bestAccuracy - 0.02, $"accuracy more than 2 points below the best built-in: {table}");
        Assert.IsTrue(mine.Auc >= bestAuc - 0.02, $"AUC more than 2 points below the best built-in: {table}");
        // Sanity: every trainer learned the task (a constant classifier scores 0.63 accuracy, AUC 0.5 here).
        foreach (var r in results) Assert.IsTrue(r.Accuracy > 0.9 && r.Auc > 0.95, table);
    }

    [TestMethod]
    public void PipelineSavedHereScoresTheSameInAFreshProcess()
    {
        // The train-in-one-service, score-in-another flow: nothing of this process (registrations, caches) can help the
        // scoring process, which only has the model file. Scores must match bit for bit (same ONNX bytes, same runtime).
        string csv = Path.Combine(Python.RepoRoot, BreastCancerComparison.DataFile);
        string dll = typeof(BreastCancerComparison).Assembly.Location;
        string zip = Path.Combine(Path.GetTempPath(), $"onnxkit-tabular-{Guid.NewGuid():N}.zip");
        try
        {
            var expected = BreastCancerComparison.TrainAndSave(csv, zip, seed: 2, new MlpSettings(Epochs: 20));
            var (code, stdout, stderr) = Python.Run("dotnet", [dll, "score", zip, csv], 300);
            Assert.AreEqual(0, code, stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.AreEqual(expected.Length, lines.Length, stdout.Length > 2000 ? stdout[..2000] : stdout);
            Assert.AreEqual(569, lines.Length, "every row of the data set");
            for (int i = 0; i < lines.Length; i++)
            {
                var parts = lines[i].Split(' ');
                float p = float.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                Assert.AreEqual(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(p), $"row {i}: {expected[i]:R} here, {p:R} there");
                Assert.AreEqual(expected[i] > 0.5f ? "1" : "0", parts[1], $"row {i}: predicted label for probability {p:R}");
            }
            // Not a constant: the model separates the classes (357 of the 569 rows are labelled positive, "benign").
            Assert.IsTrue(expected.Count(v => v > 0.5f) is > 300 and < 420, $"{expected.Count(v => v > 0.5f)} positives");
        }
        finally { File.Delete(zip); }
    }
}
