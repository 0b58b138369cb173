using System.Collections.Concurrent;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Tuning;

namespace OnnxKit.Tests.Tuning;

/// <summary>
/// The SQLite study store shared by several connections at once (each as a separate process would hold it), a study
/// resumed after its process died, and a study opened with another configuration.
/// </summary>
[TestClass]
public sealed class SqliteStudyStoreTests
{
    private static readonly SearchSpace Space = new([new FloatParameter("x", -1, 1), new CategoricalParameter("c", ["a", "b"])]);

    private static TrialOutcome Quadratic(TrialContext t, ConcurrentBag<int> ran)
    {
        ran.Add(t.Number);
        Thread.Sleep(5);
        double x = (double)t.Parameters["x"];
        t.Report(1, -Sq(x));
        return new TrialOutcome(TrialState.Complete, -Sq(x), 1);
    }

    // The objective's value and the check's expectation by the same arithmetic: Math.Pow(x, 2) can differ from x * x in
    // the last bit, which made the exact comparison fail for whichever x the sampler happened to draw.
    private static double Sq(double x) => x * x;

    [TestMethod]
    public void TwoStoresOnOneFileRunEveryTrialOnceAndLoseNone()
    {
        string dir = Directory.CreateTempSubdirectory("study").FullName;
        try
        {
            string db = Path.Combine(dir, "study.db");
            var ran = new ConcurrentBag<int>();
            var runs = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
            {
                using var store = new SqliteStudyStore(db);
                store.Open("s", Space.ToJson());
                new Study(store, Space, new TpeSampler(startupTrials: 4), new NoPruner(), new StudyOptions { Workers = 2, MaxTrials = 40 })
                    .Optimize(t => Quadratic(t, ran));
            })).ToList();
            foreach (var t in runs) t.Start();
            foreach (var t in runs) t.Join();

            CollectionAssert.AreEqual(Enumerable.Range(0, 40).ToArray(), ran.Order().ToArray(), "trials 0..39, each run once");
            using var check = new SqliteStudyStore(db);
            check.Open("s", Space.ToJson());
            var trials = check.Trials();
            Assert.AreEqual(40, trials.Count);
            var wrong = trials.Where(t => !(t.State == TrialState.Complete && t.Value == -Sq((double)t.Parameters!["x"])))
                .Select(t => $"#{t.Number} {t.State} value {t.Value} x {t.Parameters?["x"]} ({t.Message})").ToList();
            Assert.AreEqual(0, wrong.Count, "trials not complete with their value: " + string.Join("; ", wrong));
            Assert.AreEqual(2, trials.Select(t => t.Owner.Split(':')[2]).Distinct().Count(), "both workers of the stores ran trials");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AResumedStudyReRunsTheTrialItsDeadProcessLeftRunningAndNoFinishedOne()
    {
        string dir = Directory.CreateTempSubdirectory("study").FullName;
        try
        {
            string db = Path.Combine(dir, "study.db");
            var firstRun = new ConcurrentBag<int>();
            using (var store = new SqliteStudyStore(db))
            {
                store.Open("s", Space.ToJson());
                new Study(store, Space, new RandomSampler(), new NoPruner(), new StudyOptions { MaxTrials = 3 }).Optimize(t => Quadratic(t, firstRun));
                // A process that died mid-trial: claimed, values drawn, one epoch reported, never finished. No process has id
                // int.MaxValue on this host, so its owner reads as dead.
                var dead = store.Claim($"{Environment.MachineName}:{int.MaxValue}:0", null)!;
                store.SetParameters(dead.Number, new Dictionary<string, object> { ["x"] = 0.5, ["c"] = "b" });
                store.Report(dead.Number, 1, -0.25);
            }
            var resumed = new ConcurrentBag<(int Number, double X)>();
            using (var store = new SqliteStudyStore(db))
            {
                store.Open("s", Space.ToJson());
                new Study(store, Space, new RandomSampler(), new NoPruner(), new StudyOptions { MaxTrials = 6 }).Optimize(t =>
                {
                    resumed.Add((t.Number, (double)t.Parameters["x"]));
                    return Quadratic(t, new ConcurrentBag<int>());
                });
                var trials = store.Trials();
                CollectionAssert.AreEqual(new[] { 3, 4, 5 }, resumed.Select(r => r.Number).Order().ToArray(), "finished trials 0–2 are not re-run");
                Assert.AreEqual(0.5, resumed.Single(r => r.Number == 3).X, "the abandoned trial keeps its values");
                Assert.AreEqual(6, trials.Count);
                Assert.IsTrue(trials.All(t => t.State == TrialState.Complete));
                Assert.AreEqual(1, trials[3].Intermediate.Count, "the dead run's reports were replaced by the re-run's");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void OpeningAStudyWithAnotherSearchIsRefusedNamingTheStudy()
    {
        string dir = Directory.CreateTempSubdirectory("study").FullName;
        try
        {
            string db = Path.Combine(dir, "study.db");
            using (var store = new SqliteStudyStore(db)) store.Open("s", Space.ToJson());
            using var again = new SqliteStudyStore(db);
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => again.Open("s", "{}"));
            StringAssert.Contains(e.Message, "study 's'");
            File.WriteAllText(Path.Combine(dir, "junk.db"), "not a database at all, just text that is long enough to fill a header page");
            var bad = Assert.ThrowsExactly<InvalidDataException>(() => new SqliteStudyStore(Path.Combine(dir, "junk.db")));
            StringAssert.Contains(bad.Message, "junk.db");
        }
        finally { Directory.Delete(dir, true); }
    }
}
