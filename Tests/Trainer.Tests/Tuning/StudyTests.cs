using System.Collections.Concurrent;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Tuning;

namespace OnnxKit.Tests.Tuning;

/// <summary>A study run by several workers gives the same trials for the same seed and worker count, whatever the timing.</summary>
[TestClass]
public sealed class StudyTests
{
    private static readonly SearchSpace Space = new([new FloatParameter("x", -2, 2), new IntParameter("n", 1, 8), new CategoricalParameter("c", ["a", "b", "c"])]);

    // Trials take a random time (a different one each run), report three epochs and are pruned by ASHA.
    private static Dictionary<int, (string Params, string State)> RunOnce(int seed, int workers, int jitterSeed)
    {
        string dir = Directory.CreateTempSubdirectory("studyrepro").FullName;
        try
        {
            var jitter = new Random(jitterSeed);
            using var store = new SqliteStudyStore(Path.Combine(dir, "s.db"));
            store.Open("s", Space.ToJson());
            new Study(store, Space, new TpeSampler(startupTrials: 5), new AshaPruner(1, 2, 3), new StudyOptions { Seed = seed, Workers = workers, MaxTrials = 16 })
                .Optimize(t =>
                {
                    double x = (double)t.Parameters["x"], value = -x * x - ((string)t.Parameters["c"] == "b" ? 0 : 0.5);
                    int epoch = 1;
                    for (; epoch <= 3; epoch++)
                    {
                        int ms; lock (jitter) ms = jitter.Next(0, 15);
                        Thread.Sleep(ms);
                        if (t.Report(epoch, value + 0.1 * epoch)) return new TrialOutcome(TrialState.Pruned, value + 0.1 * epoch, epoch);
                    }
                    return new TrialOutcome(TrialState.Complete, value + 0.3, 3);
                });
            return store.Trials().ToDictionary(t => t.Number, t => (string.Join(";", t.Parameters!.Select(kv => $"{kv.Key}={kv.Value}")), t.State.ToString()));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TheSameSeedAndWorkerCountGiveTheSameTrialsWhateverTheTiming()
    {
        var a = RunOnce(seed: 3, workers: 3, jitterSeed: 1);
        var b = RunOnce(seed: 3, workers: 3, jitterSeed: 2);
        Assert.AreEqual(16, a.Count);
        foreach (var k in a.Keys) Assert.AreEqual(a[k], b[k], $"trial {k}");
        Assert.IsTrue(a.Values.Any(v => v.State == "Pruned") && a.Values.Any(v => v.State == "Complete"), "the pruner acted");
        var other = RunOnce(seed: 4, workers: 3, jitterSeed: 1);
        Assert.AreNotEqual(a[0].Params, other[0].Params, "another seed draws other values");
    }
}
