using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Schedules;

namespace OnnxKit.Tests.Optimizers;

/// <summary>Schedule argument validation and hand-computed values.</summary>
[TestClass]
public sealed class ScheduleContractTests
{
    public static IEnumerable<object[]> BadArguments =>
    [
        ["base_lr", (Func<object>)(() => new StepLR(0, 3))],
        ["step_size", (Func<object>)(() => new StepLR(0.1, 0))],
        ["gamma", (Func<object>)(() => new ExponentialLR(0.1, -0.5))],
        ["milestones", (Func<object>)(() => new MultiStepLR(0.1, [3, -1]))],
        ["T_max", (Func<object>)(() => new CosineAnnealingLR(0.1, 0))],
        ["eta_min", (Func<object>)(() => new CosineAnnealingLR(0.1, 10, -1))],
        ["T_0", (Func<object>)(() => new CosineAnnealingWarmRestarts(0.1, 0))],
        ["T_mult", (Func<object>)(() => new CosineAnnealingWarmRestarts(0.1, 5, 0))],
        ["pct_start", (Func<object>)(() => new OneCycleLR(0.1, 100, pctStart: 1.5))],
        ["total_steps", (Func<object>)(() => new OneCycleLR(0.1, 0))],
        ["warmup_steps", (Func<object>)(() => new LinearWarmup(new ExponentialLR(0.1, 0.9), 0))],
        ["start_factor", (Func<object>)(() => new LinearWarmup(new ExponentialLR(0.1, 0.9), 5, 0))],
        ["factor", (Func<object>)(() => new ReduceLROnPlateau(0.1, factor: 1.0))],
        ["patience", (Func<object>)(() => new ReduceLROnPlateau(0.1, patience: -1))],
    ];

    [TestMethod]
    [DynamicData(nameof(BadArguments))]
    public void BadArgumentIsRejectedByName(string argument, Func<object> make)
    {
        var e = Assert.Throws<ArgumentException>(() => make());
        Assert.AreEqual(argument, e.ParamName);
    }

    [TestMethod]
    public void IndicesAreCheckedAndUnitsSelectTheIndex()
    {
        var perStep = new ExponentialLR(1.0, 0.5, ScheduleUnit.Step);
        var perEpoch = new ExponentialLR(1.0, 0.5, ScheduleUnit.Epoch);
        Assert.AreEqual(0.25, perStep.LearningRate(step: 3, epoch: 0));   // two advances before step 3
        Assert.AreEqual(0.125, perEpoch.LearningRate(step: 1, epoch: 3)); // three advances before epoch 3
        Assert.Throws<ArgumentOutOfRangeException>(() => perStep.LearningRate(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => perEpoch.LearningRate(1, -1));
        var oneCycle = new OneCycleLR(1.0, 10);
        Assert.AreEqual(0.04, oneCycle.LearningRate(1, 0), 1e-15);        // max_lr / div_factor at the start
        Assert.Throws<ArgumentOutOfRangeException>(() => oneCycle.LearningRate(12, 0));
    }

    [TestMethod]
    public void PlateauHandComputed()
    {
        // patience 1: the second non-improving report reduces; cooldown 1 then ignores one report.
        var s = new ReduceLROnPlateau(1.0, factor: 0.5, patience: 1, cooldown: 1, minLr: 0.2);
        double[] metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
        double[] lrs = metrics.Select(s.Report).ToArray();
        // the third reduction is clamped at min_lr 0.2; the fourth would change nothing and is skipped
        CollectionAssert.AreEqual(new[] { 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2 }, lrs);
        Assert.AreEqual(0.2, s.LearningRate(100, 13));
    }
}
