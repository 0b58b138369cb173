using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Cuda;
using OnnxKit.Training.Session;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary><see cref="TrainingSessionOptions.SpinMicroseconds"/>: a scheduling setting that must not change what is computed.</summary>
[TestClass]
public sealed class SpinDurationTests
{
    [TestMethod]
    public void ABoundedSpinTrainsBitForBitLikeTheDefault()
    {
        var a = CudaCoverageTests.Artifacts("mlp");
        var adam = OptimizerCatalog.Adam(1e-3);
        using var plain = new TrainingSession(a, adam, new TrainingSessionOptions { IntraOpThreads = 2 });
        using var bounded = new TrainingSession(a, adam, new TrainingSessionOptions { IntraOpThreads = 2, SpinMicroseconds = 50 });
        var rng = new Random(11);
        for (int step = 0; step < 4; step++)
        {
            var x = Enumerable.Range(0, 32 * 784).Select(_ => (float)rng.NextDouble()).ToArray();
            var y = Enumerable.Range(0, 32).Select(_ => (long)rng.Next(10)).ToArray();
            Assert.AreEqual(plain.Step(x, y, 32, 1e-3), bounded.Step(x, y, 32, 1e-3), 0f, $"loss at step {step}");
        }
        var expected = plain.State();
        foreach (var (name, t) in bounded.State()) CollectionAssert.AreEqual(expected[name].Bytes, t.Bytes, name);
        Assert.IsTrue(a.InitialState.Any(kv => !kv.Value.Bytes.SequenceEqual(expected[kv.Key].Bytes)), "the steps changed the weights");
    }

    [TestMethod]
    public void ANegativeSpinDurationIsRefusedByName()
    {
        var a = CudaCoverageTests.Artifacts("mlp");
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingSession(a, OptimizerCatalog.Adam(1e-3), new TrainingSessionOptions { SpinMicroseconds = -1 }));
        StringAssert.Contains(e.Message, "SpinMicroseconds");
        StringAssert.Contains(e.Message, "microseconds");
    }
}
