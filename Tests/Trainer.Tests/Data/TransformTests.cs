using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class TransformTests
{
    private static float[] Apply(ISampleTransform t, float[] sample, int[] shape, ulong seed = 1)
    {
        var copy = (float[])sample.Clone();
        t.Check(shape);
        t.Apply(copy, shape, new SeededRandom(seed));
        return copy;
    }

    [TestMethod]
    public void NormalizePerChannel()
    {
        var t = Transforms.Normalize([1f, 10f], [2f, 4f]);
        CollectionAssert.AreEqual(new[] { 0f, 0.5f, 0f, 0.5f }, Apply(t, [1, 2, 10, 12], [2, 2]));
        CollectionAssert.AreEqual(new[] { -0.5f, 0f, 4.5f, 5.5f }, Apply(Transforms.Normalize([2f], [2f]), [1, 2, 11, 13], [2, 2]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => t.Check([3, 2]));
        StringAssert.Contains(e.Message, "expected 1 or 3");
    }

    [TestMethod]
    public void StandardizeFitsPopulationStatisticsPerFeature()
    {
        // feature 0: 1, 2, 3, 4 → mean 2.5, std sqrt(1.25); feature 1: constant 7 → std 0 kept as 1
        var train = new TensorDataset([1, 7, 2, 7, 3, 7, 4, 7], [2], [0, 1, 0, 1]);
        var s = Transforms.Standardize(train);
        CollectionAssert.AreEqual(new[] { 2.5f, 7f }, s.Mean);
        Assert.AreEqual(Math.Sqrt(1.25), s.Std[0], 1e-6);
        Assert.AreEqual(1f, s.Std[1]);
        var y = Apply(s, [4, 9], [2]);
        Assert.AreEqual(1.5 / Math.Sqrt(1.25), y[0], 1e-6);
        Assert.AreEqual(2f, y[1]);
        var restored = new Standardize(s.Mean, s.Std);
        CollectionAssert.AreEqual(y, Apply(restored, [4, 9], [2]));
    }

    [TestMethod]
    public void StandardizePerChannel()
    {
        // channel 0 values 0, 2, 4, 6 → mean 3, std sqrt(5); channel 1 values 1, 1, 3, 3 → mean 2, std 1
        var train = new TensorDataset([0, 2, 1, 1, 4, 6, 3, 3], [2, 2], [0, 0]);
        var s = Standardize.Fit(train, perChannel: true);
        CollectionAssert.AreEqual(new[] { 3f, 2f }, s.Mean);
        Assert.AreEqual(Math.Sqrt(5), s.Std[0], 1e-6);
        Assert.AreEqual(1.0, s.Std[1], 1e-6);
        Assert.ThrowsExactly<ArgumentException>(() => s.Check([3, 2]));
    }

    [TestMethod]
    public void StandardizeMomentsPoolAllValuesIntoOneStatistic()
    {
        // all eight values 0, 2, 1, 1, 4, 6, 3, 3: mean 2.5, population variance (6.25+0.25+2.25+2.25+2.25+12.25+0.25+0.25)/8 = 3.25
        var train = new TensorDataset([0, 2, 1, 1, 4, 6, 3, 3], [2, 2], [0, 0]);
        var (mean, std) = Standardize.Moments(train, groups: 1);
        CollectionAssert.AreEqual(new[] { 2.5f }, mean);
        Assert.AreEqual(Math.Sqrt(3.25), std[0], 1e-6);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Standardize.Moments(train, groups: 3));
    }

    [TestMethod]
    public void ScaleToUnitMapsTheRange()
    {
        CollectionAssert.AreEqual(new[] { 0f, 0.2f, 1f }, Apply(Transforms.ScaleToUnit(), [0, 51, 255], [3]));
        CollectionAssert.AreEqual(new[] { 0f, 0.5f, 1f }, Apply(Transforms.ScaleToUnit(-1, 1), [-1, 0, 1], [3]));
    }

    [TestMethod]
    public void RandomCropIsASeededShiftWithZeroFill()
    {
        float[] img = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var crop = Transforms.RandomCrop(1);
        var seen = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 64; seed++)
        {
            var y = Apply(crop, img, [1, 3, 3], seed);
            CollectionAssert.AreEqual(y, Apply(crop, img, [1, 3, 3], seed), "same seed, same crop");
            // find the shift that explains the output
            var match = (from dy in new[] { -1, 0, 1 } from dx in new[] { -1, 0, 1 } where Shift(img, dy, dx).SequenceEqual(y) select (dy, dx)).ToArray();
            Assert.AreEqual(1, match.Length, $"seed {seed}: [{string.Join(", ", y)}] is no single shift");
            seen.Add(match[0]);
        }
        Assert.AreEqual(9, seen.Count, "every shift in [-1, 1]² occurs");
        CollectionAssert.AreEqual(img, Apply(Transforms.RandomCrop(0), img, [3, 3]));
        Assert.ThrowsExactly<ArgumentException>(() => crop.Check([9]));
    }

    private static float[] Shift(float[] img, int dy, int dx)
    {
        var r = new float[9];
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 3; x++)
                r[y * 3 + x] = y + dy is >= 0 and < 3 && x + dx is >= 0 and < 3 ? img[(y + dy) * 3 + x + dx] : 0;
        return r;
    }

    [TestMethod]
    public void HorizontalFlipMirrorsEachRow()
    {
        CollectionAssert.AreEqual(new float[] { 3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10 }, Apply(Transforms.HorizontalFlip(1), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]));
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4 }, Apply(Transforms.HorizontalFlip(0), [1, 2, 3, 4], [2, 2]));
        int flips = Enumerable.Range(0, 1000).Count(s => Apply(Transforms.HorizontalFlip(0.5), [1, 2], [1, 2], (ulong)s)[0] == 2f);
        Assert.IsTrue(flips is > 430 and < 570, $"{flips} flips of 1000 at p = 0.5");
    }

    [TestMethod]
    public void GaussianNoiseHasTheRequestedSpread()
    {
        var y = Apply(Transforms.GaussianNoise(0.5), new float[20000], [20000], seed: 7);
        double mean = y.Average(v => (double)v);
        double std = Math.Sqrt(y.Average(v => (v - mean) * (v - mean)));
        Assert.AreEqual(0, mean, 0.015);     // 4.5 standard errors of 0.5 / sqrt(20000)
        Assert.AreEqual(0.5, std, 0.012);
        CollectionAssert.AreEqual(y, Apply(Transforms.GaussianNoise(0.5), new float[20000], [20000], seed: 7));
    }
}
