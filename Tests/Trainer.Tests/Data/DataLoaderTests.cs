using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class DataLoaderTests
{
    /// <summary>n samples of shape [1, 2, 2]; sample i holds i, i + 0.25, i + 0.5, i + 0.75 and label i mod 3.</summary>
    private static TensorDataset Data(int n) => new(
        Enumerable.Range(0, n).SelectMany(i => new[] { i, i + 0.25f, i + 0.5f, i + 0.75f }).ToArray(), [1, 2, 2],
        Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray());

    private sealed record Snapshot(int Epoch, int Index, float[] Features, long[] FeatureShape, long[]? Labels, float[]? Targets);

    private static Snapshot Snap(Batch b) => new(b.Epoch, b.Index, b.FeatureMemory.ToArray(), (long[])b.FeatureShape.Clone(),
        b.Labels?[..b.Count], b.Targets?[..(int)(b.Count * (b.TargetShape.Length > 1 ? b.TargetShape[1] : 1))]);

    private static List<Snapshot> Epochs(DataLoader loader, int epochs) =>
        Enumerable.Range(0, epochs).SelectMany(_ => loader.NextEpoch().Select(Snap).ToList()).ToList();

    private static void AssertSame(IReadOnlyList<Snapshot> a, IReadOnlyList<Snapshot> b)
    {
        Assert.AreEqual(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.AreEqual((a[i].Epoch, a[i].Index), (b[i].Epoch, b[i].Index));
            CollectionAssert.AreEqual(a[i].Features, b[i].Features, $"batch {i}");
            CollectionAssert.AreEqual(a[i].FeatureShape, b[i].FeatureShape);
            CollectionAssert.AreEqual(a[i].Labels, b[i].Labels);
            CollectionAssert.AreEqual(a[i].Targets, b[i].Targets);
        }
    }

    private static int[] Ids(Snapshot s) => Enumerable.Range(0, (int)s.FeatureShape[0]).Select(j => (int)s.Features[j * 4]).ToArray();

    [TestMethod]
    public void NonPositiveBatchSizeIsRejected()
    {
        foreach (int bs in new[] { 0, -3 })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DataLoader(Data(4), bs));
            Assert.AreEqual("batchSize", e.ParamName);
        }
    }

    [TestMethod]
    public void SequentialBatchesWithShapesAndPartialLast()
    {
        var loader = new DataLoader(Data(10), 4, shuffle: false, prefetch: false);
        Assert.AreEqual(3, loader.BatchesPerEpoch);
        var batches = Epochs(loader, 1);
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, Ids(batches[0]));
        CollectionAssert.AreEqual(new[] { 8, 9 }, Ids(batches[2]));
        CollectionAssert.AreEqual(new long[] { 2, 1, 2, 2 }, batches[2].FeatureShape);
        CollectionAssert.AreEqual(new[] { 8f, 8.25f, 8.5f, 8.75f, 9f, 9.25f, 9.5f, 9.75f }, batches[2].Features);
        CollectionAssert.AreEqual(new long[] { 2, 0 }, batches[2].Labels);
        Assert.AreEqual(new LoaderState(1, 0), loader.State);
    }

    [TestMethod]
    public void DropLastSkipsThePartialBatch()
    {
        var loader = new DataLoader(Data(10), 4, shuffle: true, seed: 5, dropLast: true);
        Assert.AreEqual(2, loader.BatchesPerEpoch);
        var batches = Epochs(loader, 1);
        Assert.AreEqual(2, batches.Count);
        Assert.IsTrue(batches.All(b => b.FeatureShape[0] == 4));
        Assert.AreEqual(8, batches.SelectMany(Ids).Distinct().Count());
    }

    [TestMethod]
    public void ShuffleIsSeededAndDiffersPerEpoch()
    {
        var a = Epochs(new DataLoader(Data(50), 8, seed: 11), 2);
        var b = Epochs(new DataLoader(Data(50), 8, seed: 11), 2);
        var c = Epochs(new DataLoader(Data(50), 8, seed: 12), 2);
        AssertSame(a, b);
        var epoch0 = a.Where(s => s.Epoch == 0).SelectMany(Ids).ToArray();
        var epoch1 = a.Where(s => s.Epoch == 1).SelectMany(Ids).ToArray();
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 50).ToArray(), epoch0, "each epoch visits every sample once");
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 50).ToArray(), epoch1);
        CollectionAssert.AreNotEqual(epoch0, epoch1, "a new order each epoch");
        CollectionAssert.AreNotEqual(Enumerable.Range(0, 50).ToArray(), epoch0, "shuffled");
        CollectionAssert.AreNotEqual(epoch0, c.Where(s => s.Epoch == 0).SelectMany(Ids).ToArray(), "another seed, another order");
    }

    [TestMethod]
    public void ResumeFromSavedStateContinuesIdentically()
    {
        ISampleTransform[] augment = [Transforms.GaussianNoise(0.1), Transforms.HorizontalFlip()];
        var reference = Epochs(new DataLoader(Data(37), 5, seed: 3, transforms: augment), 3);

        var first = new DataLoader(Data(37), 5, seed: 3, transforms: augment);
        var seen = Epochs(first, 1);
        foreach (var b in first.NextEpoch())
        {
            seen.Add(Snap(b));
            if (b.Index == 2) break; // interrupted after three batches of epoch 1
        }
        var saved = first.State;
        Assert.AreEqual(new LoaderState(1, 3), saved);

        var resumed = new DataLoader(Data(37), 5, seed: 3, transforms: augment);
        resumed.Restore(saved);
        seen.AddRange(Epochs(resumed, 2));
        AssertSame(reference, seen);
    }

    [TestMethod]
    public void PrefetchGivesTheSameBatchesAsDirectLoading()
    {
        ISampleTransform[] augment = [Transforms.RandomCrop(1), Transforms.GaussianNoise(0.05)];
        var direct = Epochs(new DataLoader(Data(23), 4, seed: 9, prefetch: false, transforms: augment, oneHot: Transforms.OneHot(3)), 3);
        var prefetched = Epochs(new DataLoader(Data(23), 4, seed: 9, prefetch: true, transforms: augment, oneHot: Transforms.OneHot(3)), 3);
        Assert.AreEqual(18, direct.Count);
        AssertSame(direct, prefetched);
    }

    [TestMethod]
    public void BuffersAreReusedAcrossBatchesAndEpochs()
    {
        var loader = new DataLoader(Data(12), 4, prefetch: true);
        var arrays = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        for (int e = 0; e < 3; e++)
            foreach (var b in loader.NextEpoch())
            {
                arrays.Add(b.Features);
                Assert.AreEqual(16, b.Features.Length);
            }
        Assert.IsTrue(arrays.Count <= 3, $"{arrays.Count} feature buffers for 9 batches");
    }

    [TestMethod]
    public void OneHotTargets()
    {
        var b = Epochs(new DataLoader(Data(4), 4, shuffle: false, oneHot: Transforms.OneHot(3)), 1).Single();
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 0 }, b.Labels);
        CollectionAssert.AreEqual(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 }, b.Targets);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new DataLoader(Data(4), 2, oneHot: Transforms.OneHot(2)));
        StringAssert.Contains(e.Message, "OneHot(2) is narrower than the 3 classes");
    }

    [TestMethod]
    public void RegressionTargetsFollowTheirSamples()
    {
        var d = new TensorDataset([0, 1, 2, 3, 4], [1], [0, 10, 1, 11, 2, 12, 3, 13, 4, 14], targetWidth: 2);
        foreach (var batch in new DataLoader(d, 2, seed: 1).NextEpoch())
        {
            CollectionAssert.AreEqual(new long[] { batch.Count, 2 }, batch.TargetShape);
            Assert.IsNull(batch.Labels);
            for (int j = 0; j < batch.Count; j++)
            {
                Assert.AreEqual(batch.Features[j], batch.Targets![2 * j]);
                Assert.AreEqual(batch.Features[j] + 10, batch.Targets![2 * j + 1]);
            }
        }
    }

    [TestMethod]
    public void TransformErrorSurfacesThroughPrefetch()
    {
        var loader = new DataLoader(Data(10), 2, transforms: [new Failing()]);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => loader.NextEpoch().ToList());
        Assert.AreEqual("boom at 4", e.Message);
    }

    // Each batch of NextEpochInto / NextEpochIntoAlternating, copied out of the caller's arrays while it is held.
    private static List<(int Epoch, int Index, int Slot, float[] Features, long[] Labels)> Filled(IEnumerable<FilledBatch> batches) =>
        batches.Select(b => (b.Epoch, b.Index, b.Slot, b.Features[..(b.Count * 4)], ((long[])b.Targets)[..b.Count])).ToList();

    [TestMethod]
    public void AlternatingSlotsGiveTheBatchesOfDirectWritingWhileTheNextIsWritten()
    {
        ISampleTransform[] augment = [Transforms.RandomCrop(1), Transforms.GaussianNoise(0.05)];
        var direct = new DataLoader(Data(23), 4, seed: 9, transforms: augment);
        var ahead = new DataLoader(Data(23), 4, seed: 9, transforms: augment);
        var arrays = new (float[] F, long[] T)[2];
        for (int k = 0; k < 2; k++) arrays[k] = (new float[16], new long[4]);
        var one = (F: new float[16], T: new long[4]);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var expected = Filled(direct.NextEpochInto(count => (one.F, one.T)));
            var actual = new List<(int Epoch, int Index, int Slot, float[] Features, long[] Labels)>();
            foreach (var b in ahead.NextEpochIntoAlternating((count, slot) => (arrays[slot].F, arrays[slot].T)))
            {
                // The held batch's arrays are the slot's, and the other slot (being written) is not this one.
                Assert.AreSame(arrays[b.Slot].F, b.Features);
                actual.AddRange(Filled([b]));
            }
            Assert.AreEqual(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.AreEqual((expected[i].Epoch, expected[i].Index), (actual[i].Epoch, actual[i].Index));
                Assert.AreEqual(i % 2, actual[i].Slot, "consecutive batches alternate slots");
                CollectionAssert.AreEqual(expected[i].Features, actual[i].Features, $"epoch {epoch} batch {i}");
                CollectionAssert.AreEqual(expected[i].Labels, actual[i].Labels);
            }
        }
    }

    [TestMethod]
    public void AlternatingSlotsStoppedEarlyResumeAtTheNextBatchAndSurfaceTransformErrors()
    {
        var arrays = new (float[] F, long[] T)[] { (new float[8], new long[2]), (new float[8], new long[2]) };
        var loader = new DataLoader(Data(10), 2, shuffle: false);
        // Stop after two batches (the third is being written): the loader's position is two, and the next call goes on from there.
        var first = loader.NextEpochIntoAlternating((n, slot) => (arrays[slot].F, arrays[slot].T)).Take(2).Select(b => b.Index).ToList();
        CollectionAssert.AreEqual(new[] { 0, 1 }, first);
        Assert.AreEqual(new LoaderState(0, 2), loader.State);
        var rest = Filled(loader.NextEpochIntoAlternating((n, slot) => (arrays[slot].F, arrays[slot].T)));
        CollectionAssert.AreEqual(new[] { 2, 3, 4 }, rest.Select(b => b.Index).ToArray());
        CollectionAssert.AreEqual(new[] { 4f, 4.25f, 4.5f, 4.75f, 5f, 5.25f, 5.5f, 5.75f }, rest[0].Features);

        var failing = new DataLoader(Data(10), 2, shuffle: false, transforms: [new Failing()]);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => failing.NextEpochIntoAlternating((n, slot) => (arrays[slot].F, arrays[slot].T)).ToList());
        Assert.AreEqual("boom at 4", e.Message);
    }

    [TestMethod]
    public void MisfittingTransformIsRejectedAtConstruction()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new DataLoader(Data(4), 2, transforms: [Transforms.Normalize([0, 0], [1, 1])]));
        StringAssert.Contains(e.Message, "Normalize");
    }

    private sealed class Failing : ISampleTransform
    {
        public void Check(IReadOnlyList<int> sampleShape) { }
        public void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random)
        {
            if (sample[0] == 4f) throw new InvalidOperationException("boom at 4");
        }
    }
}
