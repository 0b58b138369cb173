using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Schedules;

namespace OnnxKit.Tests.Catalogues;

/// <summary>The catalogues' name look-ups (what the command line's --optimizer, --schedule and --dataset call).</summary>
[TestClass]
public sealed class CataloguesByNameTests
{
    [TestMethod]
    public void EveryOptimizerNameGivesItsOptimizerWithTheLearningRate()
    {
        foreach (var name in OnnxKit.Optimizers.Names)
            Assert.AreEqual(0.05, OnnxKit.Optimizers.ByName(name, 0.05).LearningRate, name);
        var nesterov = (Sgd)OnnxKit.Optimizers.ByName("Nesterov", 0.1);
        Assert.AreEqual(0.9, nesterov.Momentum);
        Assert.IsTrue(nesterov.Nesterov);
        Assert.IsInstanceOfType<AdamW>(OnnxKit.Optimizers.ByName("adamw", 1e-3));
    }

    [TestMethod]
    public void AGivenWeightDecayReachesEveryOptimizerAndNoneKeepsTheirDefaults()
    {
        foreach (var name in OnnxKit.Optimizers.Names)
        {
            var o = OnnxKit.Optimizers.ByName(name, 0.05, weightDecay: 3e-4);
            var decay = (double)o.GetType().GetProperty("WeightDecay")!.GetValue(o)!;
            Assert.AreEqual(3e-4, decay, name);
        }
        Assert.AreEqual(1e-2, ((AdamW)OnnxKit.Optimizers.ByName("adamw", 1e-3)).WeightDecay, "AdamW keeps PyTorch's default");
        Assert.AreEqual(0, ((Adam)OnnxKit.Optimizers.ByName("adam", 1e-3)).WeightDecay);
        Assert.AreEqual(0, ((AdamW)OnnxKit.Optimizers.ByName("adamw", 1e-3, weightDecay: 0)).WeightDecay, "0 is a value, not 'unset'");
        foreach (var name in OnnxKit.Optimizers.Names)
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxKit.Optimizers.ByName(name, 0.1, weightDecay: -1), name).Message, "weight_decay must be a finite number >= 0");
    }

    [TestMethod]
    public void UnknownNamesAndBadRatesNameWhatIsExpected()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => OnnxKit.Optimizers.ByName("adamm", 1e-3)).Message, "expected one of adam, adamw");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => OnnxKit.Optimizers.ByName("adam", 0)).Message, "positive, got 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Schedules.ByName("linear", 1, 3, 10)).Message, "expected constant, cosine");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Datasets.ByName("no-such-set")).Message, "expected fashion-mnist");
    }

    [TestMethod]
    public void ScheduleNamesFollowTheRunLength()
    {
        Assert.IsNull(Schedules.ByName("constant", 0.1, 9, 10));
        var step = (StepLR)Schedules.ByName("step", 0.1, 9, 10)!;
        Assert.AreEqual(3, step.StepSize);
        // One-cycle over all 90 steps: from about max/25 up to 0.1 after 30% of them, then down to max/(25·10⁴).
        var cycle = Schedules.ByName("onecycle", 0.1, 9, 10)!;
        var lrs = Enumerable.Range(1, 90).Select(k => cycle.LearningRate(k, (k - 1) / 10)).ToArray();
        Assert.AreEqual(0.1, lrs.Max(), 1e-9);
        Assert.IsTrue(Array.IndexOf(lrs, lrs.Max()) is >= 25 and <= 28, $"peak at step {Array.IndexOf(lrs, lrs.Max()) + 1}");
        Assert.AreEqual(0.1 / 25, lrs[0], 1e-3);
        Assert.IsLessThan(1e-4, lrs[^1]);
    }
}
