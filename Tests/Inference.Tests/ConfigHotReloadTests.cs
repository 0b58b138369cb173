using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// A broken config.json edited into a serving model keeps the last good config and versions serving, reports the
/// error in the index and to the log callback, and the corrected file is picked up; one broken at first load still
/// refuses to serve (see <see cref="RepositoryTests"/>).
/// </summary>
[TestClass]
public sealed class ConfigHotReloadTests
{
    [TestMethod]
    [DataRow("{\"labels\": [\"c\", ", "")]
    [DataRow("{\"max_batch_size\": -3}", "'max_batch_size' must be a non-negative integer")]
    [DataRow("{\"colour\": 1}", "unknown field 'colour'")]
    public void ServingModelKeepsItsLastGoodConfigThroughABrokenEdit(string broken, string expectedProblem)
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm(2));
        t.WriteConfig("gemm", "{\"labels\": [\"a\", \"b\"]}");
        var logged = new List<string>();
        using var repo = new ModelRepository(t.Root, new ModelRepositoryOptions
        {
            Watch = false, RescanInterval = TimeSpan.Zero, OnConfigError = (m, reason) => logged.Add($"{m}: {reason}"),
        });
        repo.Start();
        Assert.AreEqual(2f, HotReloadFaultTests.AnsweredScale(repo), 1e-5f);

        t.WriteConfig("gemm", broken);
        repo.Rescan();
        var row = repo.Index().Single();
        Assert.AreEqual(ModelState.Ready, row.State);
        Assert.AreEqual(1L, row.Version);
        StringAssert.Contains(row.Reason, ModelConfig.FileName);
        StringAssert.Contains(row.Reason, expectedProblem);
        StringAssert.Contains(row.Reason, "serving with the last good");
        CollectionAssert.AreEqual(new[] { "a", "b" }, repo.Find("gemm")!.Labels());
        Assert.AreEqual(2f, HotReloadFaultTests.AnsweredScale(repo), 1e-5f);
        Assert.AreEqual(1, logged.Count);
        StringAssert.StartsWith(logged[0], "gemm: ");
        StringAssert.Contains(logged[0], expectedProblem);

        // Rescans of the unchanged broken file change nothing and log nothing more.
        repo.Rescan();
        Assert.AreEqual(1, logged.Count);
        Assert.AreEqual(2f, HotReloadFaultTests.AnsweredScale(repo), 1e-5f);

        t.WriteConfig("gemm", "{\"labels\": [\"c\", \"d\"]}");
        repo.Rescan();
        row = repo.Index().Single();
        Assert.AreEqual(ModelState.Ready, row.State);
        Assert.AreEqual("", row.Reason);
        CollectionAssert.AreEqual(new[] { "c", "d" }, repo.Find("gemm")!.Labels());
        Assert.AreEqual(2f, HotReloadFaultTests.AnsweredScale(repo), 1e-5f);
    }

    [TestMethod]
    public void WatchedRepositoryPicksUpTheBrokenAndTheFixedConfigWhileServing()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm(3));
        using var repo = new ModelRepository(t.Root, new ModelRepositoryOptions { RescanInterval = TimeSpan.FromMilliseconds(50), Debounce = TimeSpan.FromMilliseconds(20) });
        repo.Start();

        t.WriteConfig("gemm", "{ not json");
        Assert.IsTrue(WaitFor(() => repo.Index().Single().Reason.Contains(ModelConfig.FileName)), $"no config error reported: {repo.Index().Single()}");
        Assert.AreEqual(ModelState.Ready, repo.Index().Single().State);
        Assert.AreEqual(3f, HotReloadFaultTests.AnsweredScale(repo), 1e-5f);

        t.WriteConfig("gemm", "{\"labels\": [\"p\", \"q\"]}");
        Assert.IsTrue(WaitFor(() => repo.Find("gemm")!.Labels() is ["p", "q"] && repo.Index().Single().State == ModelState.Ready),
            $"fixed config not picked up: {repo.Index().Single()}");
        Assert.AreEqual("", repo.Index().Single().Reason);
        Assert.AreEqual(3f, HotReloadFaultTests.AnsweredScale(repo), 1e-5f);
    }

    [TestMethod]
    public async Task ServerStaysReadyAndWarnsAboutABrokenConfigEdit()
    {
        using var t = new TempRepository();
        t.AddVersion("gemm", 1, TestModels.Gemm());
        await using var s = await ServerFixture.StartAsync(t);
        t.WriteConfig("gemm", "{\"max_batch_size\": \"many\"}");
        System.Text.Json.JsonElement body = default;
        int status = 0;
        long deadline = Environment.TickCount64 + 30_000;
        while (Environment.TickCount64 < deadline)
        {
            (status, body) = await s.GetAsync("/v2/models/gemm/ready");
            if (body.TryGetProperty("warning", out _)) break;
            await Task.Delay(50);
        }
        Assert.AreEqual(200, status, body.ToString());
        Assert.IsTrue(body.GetProperty("ready").GetBoolean());
        StringAssert.Contains(body.GetProperty("warning").GetString(), "max_batch_size");
        StringAssert.Contains(body.GetProperty("warning").GetString(), ModelConfig.FileName);
    }

    private static bool WaitFor(Func<bool> condition)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (Environment.TickCount64 < deadline)
        {
            if (condition()) return true;
            Thread.Sleep(20);
        }
        return condition();
    }
}
