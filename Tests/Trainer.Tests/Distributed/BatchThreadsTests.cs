using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Distributed;

/// <summary>
/// <see cref="TrainingSessionOptions.BatchThreads"/>: a batch split over threads inside one process follows the fused train
/// step's trajectory (same data order, same Dropout masks, gradients summed in another order), for SGD with momentum and
/// for Adam, with parts of unequal size and a short last batch; the update cut by element ranges over the threads (the
/// first layer's 16 800 weights are cut, the rest go whole to one thread), and whole where gradient-norm clipping needs
/// all gradients at once.
/// </summary>
[TestClass]
public sealed class BatchThreadsTests
{
    // hostUpdate false: the update runs as ONNX Runtime nodes (the fused step at one thread, the update cut by element
    // ranges over several); true: on the host where the optimizer allows it.
    private static Dictionary<string, float[]> Train(Optimizer optimizer, int batchThreads, int batch, out TimeSpan splitCompute, out Dictionary<string, float[]> initial, bool hostUpdate = false)
    {
        var model = new Sequential(new Dense(1400, Activation.Relu), new Dropout(0.25), new Dense(DistributedWorker.Classes)) { Seed = 5 };
        using var learner = new Learner(model, optimizer, LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), [],
            new TrainingSessionOptions { IntraOpThreads = batchThreads, BatchThreads = batchThreads, HostOptimizerUpdate = hostUpdate });
        var data = DistributedWorker.Data();
        learner.Build(data.SampleShape);
        initial = Trajectories.FloatState(learner);
        learner.Fit(data, new FitOptions { Epochs = 2, BatchSize = batch, Seed = 1 });
        splitCompute = learner.SplitStepTimes.Compute;
        return Trajectories.FloatState(learner);
    }

    private static void AssertSameTrajectory(Func<Optimizer> optimizer, int batchThreads, int batch, bool hostUpdate = false)
    {
        var fused = Train(optimizer(), 1, batch, out var fusedSplitTime, out var initial);
        var split = Train(optimizer(), batchThreads, batch, out var splitTime, out _, hostUpdate);
        Assert.AreEqual(TimeSpan.Zero, fusedSplitTime, "one thread runs the fused train step");
        Assert.IsTrue(splitTime > TimeSpan.Zero, $"{batchThreads} threads run the split step");
        Trajectories.AssertFollows(fused, split, initial, 1e-5, $"after {batchThreads} threads");
    }

    [TestMethod]
    public void TwoThreadsFollowTheFusedStepWithMomentumSgdAndDropout() =>
        // 320 samples in batches of 32: 20 steps, 16 rows per thread.
        AssertSameTrajectory(() => OptimizerCatalog.Sgd(0.05, momentum: 0.9), 2, 32);

    [TestMethod]
    public void ThreeThreadsFollowTheFusedStepWithAdamOnUnevenParts() =>
        // Batches of 30: parts of 10 rows, and a last batch of 20 split 7/7/6.
        AssertSameTrajectory(() => OptimizerCatalog.Adam(1e-3), 3, 30);

    [TestMethod]
    public void ThreeThreadsWithTheHostUpdateFollowTheFusedStep() =>
        AssertSameTrajectory(() => OptimizerCatalog.Adam(1e-3), 3, 30, hostUpdate: true);

    [TestMethod]
    public void TwoThreadsFollowTheFusedStepWithGradientNormClipping() =>
        AssertSameTrajectory(() => new Adam(1e-2) { ClipGradNorm = 0.5 }, 2, 32);

    // The same Adam with its update declared not element-wise: the split step then runs it whole, on one session.
    private sealed class WholeUpdateAdam() : Adam(1e-2)
    {
        public override bool UpdatesElementwise => false;
    }

    [TestMethod]
    public void TheUpdateCutByElementRangesEqualsTheWholeUpdateBitForBit()
    {
        // Same gradients, same element-wise arithmetic: cutting the update over 3 threads changes no bit, whether ONNX
        // Runtime runs the ranges or the host does.
        var cut = Train(new Adam(1e-2), 3, 30, out _, out _);
        var host = Train(new Adam(1e-2), 3, 30, out _, out _, hostUpdate: true);
        var whole = Train(new WholeUpdateAdam(), 3, 30, out _, out _);
        foreach (var (name, v) in whole)
        {
            CollectionAssert.AreEqual(v, cut[name], $"'{name}' cut over 3 threads against the whole update");
            CollectionAssert.AreEqual(v, host[name], $"'{name}' on the host over 3 threads against the whole update");
        }
    }

    [TestMethod]
    public void ANonPositiveThreadCountIsNamed()
    {
        var problem = new TrainingSessionOptions { BatchThreads = 0 }.Problem();
        Assert.IsNotNull(problem);
        Assert.AreEqual(nameof(TrainingSessionOptions.BatchThreads), problem.Setting);
        StringAssert.Contains(problem.Message, "at least 1");
    }
}
