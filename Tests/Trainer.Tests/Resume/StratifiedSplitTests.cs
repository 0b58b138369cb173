using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Resume;

/// <summary>The held-out validation part: per-class shares, seeded, disjoint from training.</summary>
[TestClass]
public sealed class StratifiedSplitTests
{
    [TestMethod]
    public void EachClassGivesItsShareAndTheSeedFixesTheSplit()
    {
        // 3 classes of 50, 30 and 20 samples; feature = sample index, so the parts can be traced back.
        long[] labels = [.. Enumerable.Repeat(0L, 50), .. Enumerable.Repeat(1L, 30), .. Enumerable.Repeat(2L, 20)];
        var data = new TensorDataset(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), [1], labels);
        var s = StratifiedSplit.Split(data, 0.1, seed: 3);
        CollectionAssert.AreEqual(new long[] { 5, 3, 2 }, Enumerable.Range(0, 3).Select(c => (long)s.Validation.Labels!.Count(l => l == c)).ToArray());
        Assert.AreEqual(90, s.Train.Count);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), s.Train.Features.Concat(s.Validation.Features).ToArray(), "disjoint and complete");
        CollectionAssert.AreEqual(s.Validation.Features, StratifiedSplit.Split(data, 0.1, seed: 3).Validation.Features, "same seed, same split");
        CollectionAssert.AreNotEqual(s.Validation.Features, StratifiedSplit.Split(data, 0.1, seed: 4).Validation.Features, "another seed, another split");
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => StratifiedSplit.Split(data, 1.5, 0));
        StringAssert.Contains(e.Message, "1.5");
    }
}
