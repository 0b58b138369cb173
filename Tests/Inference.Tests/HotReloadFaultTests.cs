using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// A hot reload never takes a serving model down: a new version that fails to load is listed unavailable while the
/// previous one keeps answering, and a serving file overwritten with bad bytes keeps its loaded session until a good
/// file arrives. Requests run on other threads through both faults; none may fail or see another version's answer.
/// </summary>
[TestClass]
public sealed class HotReloadFaultTests
{
    private static readonly float[] X = [1, 2, 3, -1, 0.5f, 4];

    private static ModelRepository Open(TempRepository t)
    {
        var r = new ModelRepository(t.Root, new ModelRepositoryOptions { Watch = false, RescanInterval = TimeSpan.Zero });
        r.Start();
        return r;
    }

    /// <summary>The scale of the version that answered (the test models scale W and b by their version's factor).</summary>
    internal static float AnsweredScale(ModelRepository repo)
    {
        using var lease = repo.Acquire("gemm");
        return lease.Predictor.Predict(TensorValue.FromFloats(X, 2, 3)).Floats("y")[0] / TestModels.Expected(X)[0];
    }

    private static ModelStatus Row(ModelRepository repo, long version) => repo.Index().Single(s => s.Name == "gemm" && s.Version == version);

    [TestMethod]
    public void RequestsSucceedThroughAFailedNewVersionAndAnOverwrittenServingFile()
    {
        using var t = new TempRepository();
        byte[] good1 = TestModels.Gemm(1);
        t.AddVersion("gemm", 1, good1);
        using var repo = Open(t);

        long sent = 0, failed = 0;
        var scales = new System.Collections.Concurrent.ConcurrentBag<float>();
        string? firstError = null;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { scales.Add(MathF.Round(AnsweredScale(repo), 3)); }
                catch (Exception e) { Interlocked.Increment(ref failed); Interlocked.CompareExchange(ref firstError, e.Message, null); }
                Interlocked.Increment(ref sent);
            }
        })).ToArray();
        foreach (var c in clients) c.Start();
        // Each phase lets the clients send some requests first, so every fault happens under load.
        void UnderLoad()
        {
            long target = Interlocked.Read(ref sent) + 50;
            SpinWait.SpinUntil(() => Interlocked.Read(ref sent) >= target, TimeSpan.FromSeconds(20));
        }
        UnderLoad();

        // Fault 1: a new version that is not a model at all.
        t.AddVersion("gemm", 2, TestModels.Corrupt);
        repo.Rescan();
        UnderLoad();
        var v2 = Row(repo, 2);
        Assert.AreEqual(ModelState.Unavailable, v2.State);
        StringAssert.Contains(v2.Reason, Path.Combine("gemm", "2", ModelRepository.ModelFileName));
        Assert.AreEqual(ModelState.Ready, Row(repo, 1).State);
        Assert.AreEqual(1f, AnsweredScale(repo), 1e-5f);

        // Fault 2: the serving file overwritten with half of its bytes (ONNX Runtime refuses it).
        t.ReplaceVersion("gemm", 1, good1[..(good1.Length / 2)]);
        repo.Rescan();
        UnderLoad();
        var v1 = Row(repo, 1);
        Assert.AreEqual(ModelState.Ready, v1.State);
        StringAssert.Contains(v1.Reason, "serving the previously loaded file; reloading it failed");
        Assert.AreEqual(1f, AnsweredScale(repo), 1e-5f);

        // The fix: a good version 2 replaces both.
        t.ReplaceVersion("gemm", 2, TestModels.Gemm(2));
        repo.Rescan();
        UnderLoad();
        Assert.AreEqual(ModelState.Ready, Row(repo, 2).State);
        Assert.IsFalse(repo.Index().Any(s => s.Version == 1), "version 1 is no longer served once version 2 loads");
        Assert.AreEqual(2f, AnsweredScale(repo), 1e-5f);

        stop.Cancel();
        foreach (var c in clients) c.Join();
        Console.WriteLine($"hot-reload faults: {sent} requests, {failed} failed");
        Assert.AreEqual(0, failed, firstError);
        Assert.IsTrue(sent >= 200, $"only {sent} requests were sent");
        CollectionAssert.IsSubsetOf(scales.Distinct().ToArray(), new[] { 1f, 2f }, "every answer came from version 1 or 2");
    }

    [TestMethod]
    public void AtStartABrokenNewestVersionFallsBackToTheNewestThatLoads()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm(1));
        t.AddVersion("gemm", 2, TestModels.Gemm(2));
        t.AddVersion("gemm", 3, TestModels.Corrupt);
        using var repo = Open(t);
        Assert.AreEqual(ModelState.Unavailable, Row(repo, 3).State);
        Assert.AreEqual(ModelState.Ready, Row(repo, 2).State);
        Assert.IsFalse(repo.Index().Any(s => s.Version == 1), "latest policy serves one version: the newest that loads");
        Assert.AreEqual(2f, AnsweredScale(repo), 1e-5f);
        // Asking for the broken version by number names its load error.
        var e = Assert.ThrowsExactly<ModelUnavailableException>(() => repo.Acquire("gemm", 3));
        StringAssert.Contains(e.Message, "version 3 is unavailable");
    }

    [TestMethod]
    public void ANamedVersionPolicyStillServesExactlyItsVersions()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm(1));
        t.AddVersion("gemm", 2, TestModels.Corrupt);
        t.WriteConfig("gemm", "{\"version_policy\": {\"specific\": {\"versions\": [2]}}}");
        using var repo = Open(t);
        Assert.AreEqual(ModelState.Unavailable, Row(repo, 2).State);
        Assert.IsFalse(repo.Index().Any(s => s.Version == 1), "the config names version 2 only");
        Assert.ThrowsExactly<ModelUnavailableException>(() => repo.Acquire("gemm"));
    }
}
