using OnnxKit.Samples.TabularMLNet;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.MLNet;

/// <summary>The ML.NET tabular sample's core on its fixed split: the OnnxKit MLP against ML.NET's built-in trainers.</summary>
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
}
