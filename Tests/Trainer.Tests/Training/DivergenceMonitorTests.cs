using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Fit;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>
/// <see cref="DivergenceMonitor"/> driven step by step with hand-chosen losses: the reference is the first epoch's mean
/// loss, the count of consecutive steps above factor × reference resets on any step below it, the warning comes once,
/// only <c>stop</c> ends the run, and its state survives a checkpoint mid-count.
/// </summary>
[TestClass]
public sealed class DivergenceMonitorTests
{
    private static Learner NewLearner() =>
        new(new Sequential(new Dense(2)), OnnxKit.Optimizers.Sgd(0.1), OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true));

    private static void Steps(DivergenceMonitor m, TrainingContext ctx, ref long step, params float[] losses)
    {
        foreach (var l in losses) m.OnBatchEnd(ctx, ++step, l);
    }

    [TestMethod]
    public void WarnsOnceAfterTheGivenRunOfStepsAboveFactorTimesTheFirstEpochsLoss()
    {
        using var learner = NewLearner();
        var ctx = new TrainingContext(learner);
        var warnings = new List<string>();
        var m = new DivergenceMonitor(warnings.Add, stop: false, factor: 100, steps: 3);
        long step = 0;
        Steps(m, ctx, ref step, 1e6f, 1e6f, 1e6f, 1e6f);          // no reference before the first epoch ends: ignored
        Assert.IsEmpty(warnings);
        m.OnEpochEnd(ctx, new EpochRecord { Epoch = 1, TrainLoss = 0.5 });
        Steps(m, ctx, ref step, 60, 60, 10, 60, 60);              // 100 × 0.5 = 50: two above, a reset, two above
        Assert.IsEmpty(warnings, "a step at or below 50 resets the run");
        Steps(m, ctx, ref step, 50);                              // equal is not above
        Steps(m, ctx, ref step, 51, 51);
        Assert.IsEmpty(warnings);
        Steps(m, ctx, ref step, 51);                              // third consecutive step above 50 (step 13)
        Assert.HasCount(1, warnings);
        StringAssert.Contains(warnings[0], "above 100× the first epoch's (0.5) for 3 steps (now 51 at step 13)");
        StringAssert.Contains(warnings[0], "--stop-on-divergence");
        Assert.IsTrue(m.Triggered);
        Assert.IsFalse(ctx.StopTraining, "without stop it only warns");
        Steps(m, ctx, ref step, 1e9f, 1e9f, 1e9f, 1e9f);
        Assert.HasCount(1, warnings, "the warning comes once");
    }

    [TestMethod]
    public void WithStopItEndsTheRunNamingTheDivergence()
    {
        using var learner = NewLearner();
        var ctx = new TrainingContext(learner);
        var warnings = new List<string>();
        var m = new DivergenceMonitor(warnings.Add, stop: true, factor: 10, steps: 2);
        m.OnEpochEnd(ctx, new EpochRecord { Epoch = 1, TrainLoss = 2 });
        m.OnEpochEnd(ctx, new EpochRecord { Epoch = 2, TrainLoss = 0.001 });   // the reference stays the first epoch's
        long step = 0;
        Steps(m, ctx, ref step, 21);
        Assert.IsFalse(ctx.StopTraining);
        Steps(m, ctx, ref step, 21);
        Assert.IsTrue(ctx.StopTraining);
        StringAssert.StartsWith(ctx.StopReason, "diverged: the loss has stayed above 10× the first epoch's (2)");
        StringAssert.Contains(warnings.Single(), "training diverged, stopping");
    }

    [TestMethod]
    public void ItsStateSurvivesACheckpointMidCount()
    {
        using var learner = NewLearner();
        var ctx = new TrainingContext(learner);
        var first = new List<string>();
        var m = new DivergenceMonitor(first.Add, factor: 100, steps: 3);
        m.OnEpochEnd(ctx, new EpochRecord { Epoch = 1, TrainLoss = 0.25 });
        long step = 0;
        Steps(m, ctx, ref step, 30, 30);                          // two of three steps above 25
        var resumed = new List<string>();
        var r = new DivergenceMonitor(resumed.Add, factor: 100, steps: 3);
        r.RestoreState(m.SaveState()!);
        Steps(r, ctx, ref step, 30);
        Assert.HasCount(1, resumed, "the resumed monitor continues the count and keeps the first epoch's reference");
        StringAssert.Contains(resumed[0], "(0.25)");
        var again = new DivergenceMonitor(resumed.Add, factor: 100, steps: 3);
        again.RestoreState(r.SaveState()!);
        Steps(again, ctx, ref step, 30, 30, 30);
        Assert.HasCount(1, resumed, "a warning given before the checkpoint is not repeated after it");
    }
}
