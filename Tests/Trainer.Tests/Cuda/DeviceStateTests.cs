using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Session;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Cuda;

/// <summary>
/// The device-memory path of <see cref="TrainingSession"/> (state through an ORT allocator, batches staged, every
/// host crossing a copy session), run on the CPU: it trains exactly as the in-place host path does.
/// </summary>
[TestClass]
public sealed class DeviceStateTests
{
    private static (TrainingArtifacts, OnnxKit.Training.Optimizers.Optimizer) Mlp() => (CudaCoverageTests.Artifacts("mlp"), OptimizerCatalog.Adam(1e-3));

    [TestMethod]
    public void TheDevicePathTrainsBitForBitLikeTheHostPath()
    {
        var (a, adam) = Mlp();
        using var host = new TrainingSession(a, adam, new TrainingSessionOptions { IntraOpThreads = 1 });
        using var device = new TrainingSession(a, adam, new TrainingSessionOptions { IntraOpThreads = 1, DeviceStateOnCpu = true });
        var rng = new Random(5);
        for (int step = 0; step < 6; step++)
        {
            int count = step == 5 ? 7 : 16;   // a partial last batch too
            var x = Enumerable.Range(0, count * 784).Select(_ => (float)rng.NextDouble()).ToArray();
            var y = Enumerable.Range(0, count).Select(_ => (long)rng.Next(10)).ToArray();
            float lh = host.Step(x, y, count, 1e-3), ld = device.Step(x, y, count, 1e-3);
            Assert.AreEqual(lh, ld, 0f, $"loss at step {step}");
            CollectionAssert.AreEqual(host.LastOutput.ToArray(), device.LastOutput.ToArray(), $"logits at step {step}");
        }
        var hs = host.State(); var ds = device.State();
        foreach (var (name, t) in hs) CollectionAssert.AreEqual(t.Bytes, ds[name].Bytes, name);
        // The state really moved off its initial values (the copies are not reading stale buffers).
        Assert.IsTrue(a.InitialState.Any(kv => !kv.Value.Bytes.SequenceEqual(ds[kv.Key].Bytes)));
        float eh = host.Evaluate(new float[3 * 784], new long[] { 1, 2, 3 }, 3), ed = device.Evaluate(new float[3 * 784], new long[] { 1, 2, 3 }, 3);
        Assert.AreEqual(eh, ed, 0f, "evaluation");
    }

    [TestMethod]
    public void CheckpointsRoundTripThroughDeviceMemory()
    {
        var (a, adam) = Mlp();
        string dir = Directory.CreateTempSubdirectory("device_state").FullName;
        try
        {
            var x = Enumerable.Range(0, 4 * 784).Select(i => (i % 7) / 7f).ToArray();
            long[] y = [1, 2, 3, 4];
            using var trained = new TrainingSession(a, adam, new TrainingSessionOptions { IntraOpThreads = 1, DeviceStateOnCpu = true });
            trained.Step(x, y, 4, 1e-3); trained.Step(x, y, 4, 1e-3);
            string path = Path.Combine(dir, "ck.safetensors");
            trained.SaveCheckpoint(path);
            var (saved, _) = SafeTensors.Read(path);
            // What was written is the device state copied down, i.e. what the session reports.
            var state = trained.State();
            foreach (var t in saved) CollectionAssert.AreEqual(state[t.Name].Bytes, t.Bytes, t.Name);
            using var restored = new TrainingSession(a, adam, new TrainingSessionOptions { IntraOpThreads = 1, DeviceStateOnCpu = true });
            restored.LoadState(saved.ToDictionary(t => t.Name));
            restored.SetStepCount(trained.StepCount);
            // Evaluation (no dropout) reads only the state: identical after the round trip.
            Assert.AreEqual(trained.Evaluate(x, y, 4), restored.Evaluate(x, y, 4), 0f, "the restored session computes what the trained one does");
            CollectionAssert.AreEqual(trained.LastOutput.ToArray(), restored.LastOutput.ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }
}
