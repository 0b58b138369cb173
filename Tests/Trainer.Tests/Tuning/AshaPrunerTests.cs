using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Tuning;

namespace OnnxKit.Tests.Tuning;

/// <summary>ASHA's rungs and promotions against hand-computed cases.</summary>
[TestClass]
public sealed class AshaPrunerTests
{
    private static TrialRecord At(int number, params (int Epoch, double Value)[] values) =>
        new(number, TrialState.Complete, null, null, values.ToDictionary(v => v.Epoch, v => v.Value), values.Length, 0, "test", null);

    [TestMethod]
    public void RungsLieAtMinEpochsTimesPowersOfEtaBelowTheLastEpoch()
    {
        CollectionAssert.AreEqual(new[] { 1, 3, 9 }, new AshaPruner(1, 3, 27).Rungs.ToArray());
        CollectionAssert.AreEqual(new[] { 2, 4, 8 }, new AshaPruner(2, 2, 10).Rungs.ToArray());
        CollectionAssert.AreEqual(Array.Empty<int>(), new AshaPruner(1, 3, 1).Rungs.ToArray());
    }

    [TestMethod]
    public void WithEveryValueInExactlyTheTopThirdOfEachRungContinues()
    {
        var asha = new AshaPruner(1, 3, 27);
        double[] rung1 = [0.50, 0.70, 0.60, 0.90, 0.40, 0.80, 0.30, 0.65, 0.85];
        var trials = rung1.Select((v, i) => At(i, (1, v))).ToList();
        var kept = Enumerable.Range(0, 9).Where(i => !asha.ShouldPrune(1, rung1[i], trials.Where(t => t.Number != i))).ToList();
        CollectionAssert.AreEqual(new[] { 3, 5, 8 }, kept, "the top 3 of 9 (0.90, 0.80, 0.85) continue");

        // Those three reach rung 3 (epoch 3); the top one of three continues.
        double[] rung3 = [0.91, 0.83, 0.88];
        var second = kept.Select((n, j) => At(n, (1, rung1[n]), (3, rung3[j]))).ToList();
        var keptAt3 = kept.Where((n, j) => !asha.ShouldPrune(3, rung3[j], second.Where(t => t.Number != n))).ToList();
        CollectionAssert.AreEqual(new[] { 3 }, keptAt3);
        Assert.IsFalse(asha.ShouldPrune(2, 0.0, second), "epoch 2 is not a rung");
    }

    [TestMethod]
    public void ArrivingOneByOneEachTrialIsJudgedAgainstTheValuesSoFar()
    {
        // Hand-computed: the k-th arrival continues when it is ≥ the ⌊k/3⌋-th best (at least the best) of the k values so far.
        double[] values = [0.50, 0.70, 0.60, 0.90, 0.40, 0.80, 0.30, 0.65, 0.85];
        bool[] expected = [true, true, false, true, false, true, false, false, true];
        var asha = new AshaPruner(1, 3, 9);
        var seen = new List<TrialRecord>();
        for (int i = 0; i < values.Length; i++)
        {
            Assert.AreEqual(!expected[i], asha.ShouldPrune(1, values[i], seen), $"arrival {i} (value {values[i]})");
            seen.Add(At(i, (1, values[i])));
        }
        Assert.IsTrue(asha.ShouldPrune(1, double.NaN, seen), "a non-finite value is pruned");
    }
}
