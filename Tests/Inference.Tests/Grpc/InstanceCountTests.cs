using System.Collections.Concurrent;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.IR;

namespace OnnxKit.Tests.Inference;

/// <summary>instance_count (sessions that run at once, each its own) and warm-up requests from config.json.</summary>
[TestClass]
public sealed class InstanceCountTests
{
    [TestMethod]
    public async Task PoolLendsEachInstanceToOneCallerAtATime()
    {
        var pool = new InstancePool<int>([0, 1]);
        var inside = new ConcurrentDictionary<int, int>();
        int running = 0, peak = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 5).Select(_ => Task.Run(() => pool.RunAsync(instance =>
        {
            Assert.IsTrue(inside.TryAdd(instance, 0), $"instance {instance} lent twice at once");
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            gate.Task.Wait();
            Interlocked.Decrement(ref running);
            inside.TryRemove(instance, out int _);
            return instance;
        }))).ToArray();
        // Two callers get in and hold both instances; the other three wait, however long we look.
        for (int i = 0; i < 500 && Volatile.Read(ref running) < 2; i++) await Task.Delay(10);
        await Task.Delay(100);
        Assert.AreEqual(2, Volatile.Read(ref running));
        Assert.AreEqual(0, calls.Count(c => c.IsCompleted));
        gate.SetResult();
        var used = await Task.WhenAll(calls);
        Assert.AreEqual(2, peak);
        CollectionAssert.IsSubsetOf(used.Distinct().ToArray(), new[] { 0, 1 });
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [TestMethod]
    public async Task InstancesWithAndWithoutBatchingAnswerConcurrentRequestsExactly()
    {
        using var repo = new TempRepository();
        repo.AddVersion("pooled", 1, TestModels.Gemm());
        repo.WriteConfig("pooled", "{\"instance_count\": 2}");
        repo.AddVersion("batched", 1, TestModels.Gemm());
        repo.WriteConfig("batched", "{\"instance_count\": 3, \"max_batch_size\": 4}");
        await using var s = await ServerFixture.StartAsync(repo);
        using var g = new GrpcClient(s);
        foreach (var (model, instances) in new[] { ("pooled", 2), ("batched", 3) })
        {
            using (var lease = s.Host.Repository.Acquire(model)) Assert.AreEqual(instances, lease.InstanceCount, model);
            var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() =>
            {
                float[] x = [i, 1, -i];
                return (x, y: g.Infer(GrpcClient.Typed(model, "x", [1, 3], x)).Outputs[0].Contents.Fp32Contents.ToArray());
            })));
            foreach (var (x, y) in answers) CollectionAssert.AreEqual(TestModels.Expected(x), y, model);
        }
    }

    [TestMethod]
    public void WarmUpRunsBeforeReadyAndARejectedOneMarksTheVersionUnavailable()
    {
        // x: float32 [batch, 3] reshaped to a fixed [2, 3]: only a batch of 2 runs.
        var g = new GraphBuilder("fixed-rows");
        g.Output(Op.Reshape(g.Input("x", ElementType.Float32, "batch", 3), 2, 3), "y");
        var bytes = g.Build().ToBytes();
        using var repo = new TempRepository();
        repo.AddVersion("fits", 1, bytes);
        repo.WriteConfig("fits", "{\"instance_count\": 2, \"warmup\": [{\"batch_size\": 2, \"count\": 3, \"data\": \"random\"}]}");
        repo.AddVersion("misfit", 1, bytes);
        repo.WriteConfig("misfit", "{\"warmup\": [{\"batch_size\": 2}, {\"batch_size\": 5, \"data\": \"zeros\"}]}");
        repo.AddVersion("typo", 1, bytes);
        repo.WriteConfig("typo", "{\"warmup\": [{\"batch\": 2}]}");
        using var r = new ModelRepository(repo.Root, new ModelRepositoryOptions { Watch = false, RescanInterval = TimeSpan.Zero });
        r.Start();
        var states = r.Index().ToDictionary(x => x.Name);
        Assert.AreEqual(ModelState.Ready, states["fits"].State, states["fits"].Reason);
        Assert.AreEqual(ModelState.Unavailable, states["misfit"].State);
        StringAssert.Contains(states["misfit"].Reason, "warm-up request 2 (batch size 5, zeros) failed");
        Assert.AreEqual(ModelState.Unavailable, states["typo"].State);
        StringAssert.Contains(states["typo"].Reason, "unknown warm-up field 'batch'; known: batch_size, count, data");

        using var gemm = Predictor.FromBytes(TestModels.Gemm());
        var warm = new WarmUpRequest(4, 1, WarmUpData.Random).Inputs(gemm.Info);
        CollectionAssert.AreEqual(new long[] { 4, 3 }, warm["x"].Shape);
        Assert.IsTrue(warm["x"].ToFloats().All(v => v is >= 0 and < 1) && warm["x"].ToFloats().Distinct().Count() > 1, "random data in [0, 1)");
    }
}
