using System.Collections.Concurrent;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Inference;

[TestClass]
public sealed class RepositoryTests
{
    private static readonly float[] X = [1, 2, 3, -1, 0.5f, 4];

    private static float Scale(PredictorLease lease) =>
        // The test models scale W and b; output[0] / expected-at-scale-1 recovers the scale.
        lease.Predictor.Predict(TensorValue.FromFloats(X, 2, 3)).Floats("y")[0] / TestModels.Expected(X)[0];

    private static ModelRepository Open(TempRepository t, bool watch = false, TimeSpan? rescan = null, Action<string, long, int>? onBatch = null)
    {
        var r = new ModelRepository(t.Root, new ModelRepositoryOptions { Watch = watch, RescanInterval = rescan ?? TimeSpan.Zero, OnBatch = onBatch, Debounce = TimeSpan.FromMilliseconds(50) });
        r.Start();
        return r;
    }

    [TestMethod]
    public void LatestPolicyServesTheHighestVersion()
    {
        using var t = new TempRepository();
        for (int v = 1; v <= 3; v++) t.AddVersion("gemm", v, TestModels.Gemm(v));
        using var repo = Open(t);
        var model = repo.Find("gemm")!;
        CollectionAssert.AreEqual(new long[] { 3 }, model.Versions.Keys.ToArray());
        using (var lease = repo.Acquire("gemm")) Assert.AreEqual(3f, Scale(lease), 1e-5f);
        var e = Assert.ThrowsExactly<ModelNotFoundException>(() => repo.Acquire("gemm", 1));
        StringAssert.Contains(e.Message, "model 'gemm' has no version 1; served versions: 3");
        var e2 = Assert.ThrowsExactly<ModelNotFoundException>(() => repo.Acquire("nope"));
        StringAssert.Contains(e2.Message, "no model 'nope'");
    }

    [TestMethod]
    public void AllSpecificAndLatestNPolicies()
    {
        using var t = new TempRepository();
        for (int v = 1; v <= 3; v++) t.AddVersion("gemm", v, TestModels.Gemm(v));
        t.WriteConfig("gemm", "{\"version_policy\": \"all\"}");
        using var repo = Open(t);
        CollectionAssert.AreEquivalent(new long[] { 1, 2, 3 }, repo.Find("gemm")!.Versions.Keys.ToArray());
        using (var l1 = repo.Acquire("gemm", 1)) Assert.AreEqual(1f, Scale(l1), 1e-5f);
        using (var l2 = repo.Acquire("gemm", 2)) Assert.AreEqual(2f, Scale(l2), 1e-5f);

        t.WriteConfig("gemm", "{\"version_policy\": {\"specific\": {\"versions\": [1, 3]}}}");
        repo.Rescan();
        CollectionAssert.AreEquivalent(new long[] { 1, 3 }, repo.Find("gemm")!.Versions.Keys.ToArray());

        t.WriteConfig("gemm", "{\"version_policy\": {\"latest\": {\"num_versions\": 2}}}");
        repo.Rescan();
        CollectionAssert.AreEquivalent(new long[] { 2, 3 }, repo.Find("gemm")!.Versions.Keys.ToArray());
    }

    [TestMethod]
    public void CorruptModelMarksOnlyThatVersionUnavailable()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm());
        t.AddVersion("broken", 1, TestModels.Corrupt);
        using var repo = Open(t);
        var index = repo.Index();
        var broken = index.Single(s => s.Name == "broken");
        Assert.AreEqual(ModelState.Unavailable, broken.State);
        StringAssert.Contains(broken.Reason, Path.Combine("broken", "1", "model.onnx"));
        Assert.AreEqual(ModelState.Ready, index.Single(s => s.Name == "gemm").State);
        var e = Assert.ThrowsExactly<ModelUnavailableException>(() => repo.Acquire("broken"));
        StringAssert.Contains(e.Message, "model 'broken' is unavailable");
        StringAssert.Contains(e.Message, "version 1");
        using var ok = repo.Acquire("gemm");
        Assert.AreEqual(1f, Scale(ok), 1e-5f);
    }

    [TestMethod]
    public void BadConfigMakesTheModelUnavailableNamingTheField()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm());
        t.WriteConfig("gemm", "{\"max_batch_size\": -3}");
        using var repo = Open(t);
        var s = repo.Index().Single();
        Assert.AreEqual(ModelState.Unavailable, s.State);
        StringAssert.Contains(s.Reason, "config.json");
        StringAssert.Contains(s.Reason, "'max_batch_size' must be a non-negative integer");
        t.WriteConfig("gemm", "{\"max_batch_size\": 4, \"colour\": 1}");
        repo.Rescan();
        StringAssert.Contains(repo.Index().Single().Reason, "unknown field 'colour'");
        t.WriteConfig("gemm", "{\"max_batch_size\": 4}");
        repo.Rescan();
        Assert.AreEqual(ModelState.Ready, repo.Index().Single().State);
    }

    [TestMethod]
    public void ModelFolderWithoutVersionsIsReported()
    {
        using var t = new TempRepository();
        Directory.CreateDirectory(Path.Combine(t.Root, "empty", "notaversion"));
        using var repo = Open(t);
        var s = repo.Index().Single();
        Assert.AreEqual("empty", s.Name);
        Assert.IsNull(s.Version);
        StringAssert.Contains(s.Reason, "no versions: expected empty/<version>/model.onnx");
    }

    [TestMethod]
    public void LeaseKeepsAReplacedModelAliveUntilReleased()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm(1));
        using var repo = Open(t);
        var lease = repo.Acquire("gemm");
        t.AddVersion("gemm", 2, TestModels.Gemm(2));
        repo.Rescan();
        CollectionAssert.AreEqual(new long[] { 2 }, repo.Find("gemm")!.Versions.Keys.ToArray());
        // Version 1 is no longer served, but the request holding it still runs on it.
        Assert.AreEqual(1f, Scale(lease), 1e-5f);
        var old = lease.Predictor;
        lease.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => old.Predict(TensorValue.FromFloats(X, 2, 3)));
        using var now = repo.Acquire("gemm");
        Assert.AreEqual(2f, Scale(now), 1e-5f);
    }

    [TestMethod]
    public void HotReloadWhileRequestsRunDropsNothing()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm(1));
        using var repo = Open(t, watch: true, rescan: TimeSpan.FromMilliseconds(100));
        var seen = new ConcurrentDictionary<float, int>();
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        // Requests run until the reloads are seen (not for a fixed count, which a fast machine finished before the first
        // reload); each worker pauses briefly now and then so that on two loaded cores the watcher still gets to run.
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    using var lease = repo.Acquire("gemm");
                    seen.AddOrUpdate(MathF.Round(Scale(lease), 3), 1, (_, n) => n + 1);
                }
                catch (Exception e) { failures.Enqueue(e); }
                if (i % 256 == 255) Thread.Sleep(1);
            }
        })).ToArray();
        bool Wait(Func<bool> condition)
        {
            for (int i = 0; i < 600 && !condition(); i++) Thread.Sleep(50); // at most 30 s
            return condition();
        }
        try
        {
            Assert.IsTrue(Wait(() => seen.ContainsKey(1f)), "requests never ran on version 1");
            t.AddVersion("gemm", 2, TestModels.Gemm(2));          // a new version: latest policy swaps to it
            Assert.IsTrue(Wait(() => seen.ContainsKey(2f)), "version 2 was never picked up");
            t.ReplaceVersion("gemm", 2, TestModels.Gemm(3));      // the same version rewritten in place
            Assert.IsTrue(Wait(() => seen.ContainsKey(3f)), "the rewritten version 2 was never picked up");
        }
        finally
        {
            stop.Cancel();
            Task.WaitAll(workers);
        }
        Assert.IsTrue(failures.IsEmpty, $"{failures.Count} requests failed during reload, first: {failures.FirstOrDefault()}");
        CollectionAssert.IsSubsetOf(seen.Keys.ToArray(), new[] { 1f, 2f, 3f });
    }

    [TestMethod]
    public void BatchedLeaseMergesUpToMaxBatchSizeAndAnswersEachRequest()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm());
        t.WriteConfig("gemm", "{\"max_batch_size\": 4, \"batch_window_ms\": 50}");
        var batches = new ConcurrentQueue<int>();
        using var repo = Open(t, onBatch: (_, _, rows) => batches.Enqueue(rows));
        using var lease = repo.Acquire("gemm");
        Assert.IsNotNull(lease.Batcher);
        var inputs = Enumerable.Range(0, 10).Select(i => new float[] { i, 1, -i }).ToArray();
        var tasks = inputs.Select(x => lease.InferAsync(new Dictionary<string, TensorValue> { ["x"] = TensorValue.FromFloats(x, 1, 3) })).ToArray();
        Task.WaitAll(tasks);
        for (int i = 0; i < inputs.Length; i++)
            Compare.Close(TestModels.Expected(inputs[i]), tasks[i].Result.Floats("y"), 1e-5, what: $"request {i}");
        Assert.AreEqual(10, batches.Sum());
        Assert.IsTrue(batches.All(b => b is >= 1 and <= 4), $"batch sizes: {string.Join(",", batches)}");
        // A bad request fails alone, before it is queued.
        var e = Assert.ThrowsExactly<ArgumentException>(() => lease.InferAsync(new Dictionary<string, TensorValue> { ["x"] = TensorValue.FromFloats([1, 2], 1, 2) }));
        StringAssert.Contains(e.Message, "dimension 1 must be 3");
    }

    [TestMethod]
    public void ConfigParsesEveryField()
    {
        var c = ModelConfig.Parse("""
            { "max_batch_size": 16, "batch_window_ms": 3.5, "labels": ["a", "b"], "version_policy": {"latest": {"num_versions": 2}},
              "execution_provider": "cpu", "intra_op_threads": 2, "allow_spinning": true, "allow_nan": true }
            """);
        Assert.AreEqual(16, c.MaxBatchSize);
        Assert.AreEqual(3.5, c.BatchWindow.TotalMilliseconds, 1e-9);
        CollectionAssert.AreEqual(new[] { "a", "b" }, c.Labels);
        Assert.AreEqual(new VersionPolicy(VersionPolicyKind.Latest, 2), c.VersionPolicy);
        Assert.AreEqual(2, c.IntraOpThreads);
        Assert.IsTrue(c.AllowNan);
        Assert.IsTrue(c.AllowSpinning);
        Assert.IsFalse(ModelConfig.Parse("{}").AllowSpinning, "servers do not spin by default");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelConfig.Parse("{\"execution_provider\": \"tpu\"}"));
        StringAssert.Contains(e.Message, "'execution_provider' must be \"cpu\" or \"cuda\", got \"tpu\"");
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => ModelConfig.Parse("{\"allow_nan\": \"yes\"}"));
        StringAssert.Contains(e2.Message, "field 'allow_nan'");
    }
}
