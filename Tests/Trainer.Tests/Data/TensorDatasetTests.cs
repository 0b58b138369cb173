using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class TensorDatasetTests
{
    private static TensorDataset Ten() =>
        new(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), [2], Enumerable.Range(0, 10).Select(i => (long)(i % 3)).ToArray(), ["a", "b", "c"]);

    [TestMethod]
    public void LabelOutsideRangeNamesSourceSampleAndRange()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new TensorDataset(new float[3], [1], [0, 12, 1], numClasses: 10, source: "rows.bin"));
        StringAssert.Contains(e.Message, "rows.bin: label 12 of sample 1 is outside the class range [0, 10)");
    }

    [TestMethod]
    public void FeatureCountMustMatchShape()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new TensorDataset(new float[7], [2, 2], [0, 1]));
        StringAssert.Contains(e.Message, "7 feature values do not hold 2 samples of shape [2, 2] (8 values expected)");
    }

    [TestMethod]
    public void SplitIsADisjointSeededPartition()
    {
        var d = Ten();
        var s = d.Split(0.8, seed: 3);
        Assert.AreEqual(8, s.Train.Count);
        Assert.AreEqual(2, s.Validation.Count);
        // first feature of a sample is 2 × its index: recover indices
        var train = Enumerable.Range(0, 8).Select(i => (int)s.Train.Sample(i)[0] / 2).ToArray();
        var val = Enumerable.Range(0, 2).Select(i => (int)s.Validation.Sample(i)[0] / 2).ToArray();
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 10).ToArray(), train.Concat(val).ToArray());
        for (int i = 0; i < 8; i++)
        {
            Assert.AreEqual(2f * train[i] + 1, s.Train.Sample(i)[1]);
            Assert.AreEqual(train[i] % 3, s.Train.Labels![i]);
        }
        CollectionAssert.AreEqual(s.Train.Features, d.Split(0.8, seed: 3).Train.Features, "same seed, same split");
        CollectionAssert.AreNotEqual(s.Train.Features, d.Split(0.8, seed: 4).Train.Features, "another seed, another split");
        CollectionAssert.AreNotEqual(Enumerable.Range(0, 8).ToArray(), train, "shuffled, not a prefix");
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, s.Validation.ClassNames.ToArray());
    }

    [TestMethod]
    public void SplitFractionMustBeInsideTheOpenInterval()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ten().Split(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ten().Split(1));
    }

    [TestMethod]
    public void RegressionSubsetKeepsTargetRows()
    {
        var d = new TensorDataset([1, 2, 3], [1], [10, 11, 20, 21, 30, 31], targetWidth: 2);
        var s = d.Subset([2, 0]);
        CollectionAssert.AreEqual(new float[] { 30, 31, 10, 11 }, s.Targets);
        CollectionAssert.AreEqual(new float[] { 3, 1 }, s.Features);
    }

    [TestMethod]
    public void SeededRandomIsSplitMix64()
    {
        // reference outputs of SplitMix64 seeded with 0
        var r = new SeededRandom(0);
        Assert.AreEqual(0xE220A8397B1DCDAFUL, r.NextUInt64());
        Assert.AreEqual(0x6E789E6AA1B965F4UL, r.NextUInt64());
        Assert.AreEqual(0x06C45D188009454FUL, r.NextUInt64());
    }
}
