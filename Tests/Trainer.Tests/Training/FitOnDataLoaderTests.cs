using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>
/// Learner.Fit takes its batches from the DataLoader. Each test trains with Fit and with a loop written out here (its
/// own Fisher–Yates over System.Random, its own gathering of rows and its own augmentation), step by step on a session
/// of the same model, and requires the same state bytes at the end.
/// </summary>
[TestClass]
public sealed class FitOnDataLoaderTests
{
    private const int N = 50, C = 1, H = 4, W = 5, Batch = 16, Seed = 3;

    /// <summary>50 images [1, 4, 5] of distinct values, labels 0–2.</summary>
    private static TensorDataset Images()
    {
        var x = Enumerable.Range(0, N * C * H * W).Select(i => (float)Math.Sin(i * 0.37) + i % 7 * 0.1f).ToArray();
        return new TensorDataset(x, [C, H, W], Enumerable.Range(0, N).Select(i => (long)(i * 7 % 3)).ToArray());
    }

    private static Learner NewLearner() =>
        new(new Sequential(new Flatten(), new Dense(8, Activation.Relu), new Dropout(0.25), new Dense(3)) { Seed = 5 },
            OptimizerCatalog.Adam(1e-2), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), sessionOptions: new TrainingSessionOptions { IntraOpThreads = 1 });

    private static int[] Permutation(int n, int seed, int epoch)
    {
        var o = Enumerable.Range(0, n).ToArray();
        var rng = new Random((int)((uint)(seed * 1_000_003 + epoch * 7919 + 17) & int.MaxValue));
        for (int i = n - 1; i > 0; i--) { int j = rng.Next(i + 1); (o[i], o[j]) = (o[j], o[i]); }
        return o;
    }

    /// <summary>The reference loop: per epoch, the rows of each batch (from <paramref name="rowsOf"/>), gathered (and flipped) by hand.</summary>
    private static Dictionary<string, byte[]> Reference(TensorDataset data, int epochs, Func<int, int[], IEnumerable<int[]>> rowsOf, bool flip = false, List<float>? losses = null)
    {
        using var learner = NewLearner();
        learner.Build(data.SampleShape);
        var session = learner.Session!;
        int size = C * H * W;
        for (int epoch = 1; epoch <= epochs; epoch++)
            foreach (var rows in rowsOf(epoch, Permutation(N, Seed, epoch)))
            {
                var x = new float[rows.Length * size];
                for (int j = 0; j < rows.Length; j++)
                    for (int h = 0; h < H; h++)
                        for (int w = 0; w < W; w++)
                            x[j * size + h * W + w] = data.Features[rows[j] * size + h * W + (flip ? W - 1 - w : w)];
                float loss = session.Step(x, rows.Select(r => data.Labels![r]).ToArray(), rows.Length, 1e-2);
                losses?.Add(loss);
            }
        return session.State().ToDictionary(kv => kv.Key, kv => kv.Value.Bytes.ToArray());
    }

    private static IEnumerable<int[]> Slices(int[] order)
    {
        for (int start = 0; start < order.Length; start += Batch) yield return order[start..Math.Min(order.Length, start + Batch)];
    }

    private static void AssertSameState(Dictionary<string, byte[]> expected, Learner actual)
    {
        var state = actual.Session!.State();
        Assert.AreEqual(expected.Count, state.Count);
        foreach (var (name, bytes) in expected) CollectionAssert.AreEqual(bytes, state[name].Bytes.ToArray(), $"state '{name}'");
    }

    [TestMethod]
    public void FitOnTheLoaderFollowsTheHandWrittenLoopBitForBit()
    {
        var data = Images();
        var losses = new List<float>();
        var expected = Reference(data, 2, (_, order) => Slices(order), losses: losses);
        using var learner = NewLearner();
        var history = learner.Fit(data, new FitOptions { Epochs = 2, BatchSize = Batch, Seed = Seed });
        AssertSameState(expected, learner);
        Assert.AreEqual(8, learner.Session!.StepCount, "4 batches per epoch, the last of 2 samples");
        // The epoch's train loss is the sample-weighted mean of its step losses.
        double first = losses.Take(4).Select((l, k) => (double)l * (k < 3 ? 16 : 2)).Sum() / N;
        Assert.AreEqual(first, history.Epochs[0].TrainLoss, 1e-12);
    }

    [TestMethod]
    public void AnotherSamplerChoosesTheRowsOfEachStep()
    {
        // What a data-parallel rank would do: take its share (here the even places) of each global batch.
        var data = Images();
        var expected = Reference(data, 2, (_, order) => Slices(order).Select(b => b.Where((_, k) => k % 2 == 0).ToArray()));
        using var learner = NewLearner();
        learner.Fit(data, new FitOptions { Epochs = 2, BatchSize = Batch, Seed = Seed, Sampler = new EvenPlaces(new ShuffledBatches(Batch, Seed)) });
        AssertSameState(expected, learner);
    }

    private sealed class EvenPlaces(IBatchSampler inner) : IBatchSampler
    {
        public IReadOnlyList<int[]> Batches(int count, int epoch, int steps) =>
            inner.Batches(count, epoch, steps).Select(b => b.Where((_, k) => k % 2 == 0).ToArray()).ToList();
    }

    [TestMethod]
    public void AugmentationsReachTheTrainingSteps()
    {
        // A certain flip: every training image is the mirror of the stored one, as the reference flips it by hand.
        var data = Images();
        var flipped = Reference(data, 1, (_, order) => Slices(order), flip: true);
        var plain = Reference(data, 1, (_, order) => Slices(order));
        using var learner = NewLearner();
        learner.Fit(data, new FitOptions { Epochs = 1, BatchSize = Batch, Seed = Seed, Augmentations = [Transforms.HorizontalFlip(1.0)] });
        AssertSameState(flipped, learner);
        Assert.IsTrue(plain.Keys.Any(k => !plain[k].SequenceEqual(flipped[k])), "the flip changes training (the images are not symmetric)");
    }

    [TestMethod]
    public void ResumingMidEpochWithRandomAugmentationsEndsBitIdentical()
    {
        var data = Images();
        FitOptions Options(string? resume = null, string? ckpt = null, int every = 0) => new()
        {
            Epochs = 3, BatchSize = Batch, Seed = Seed, ResumeFrom = resume, CheckpointPath = ckpt, CheckpointEverySteps = every,
            Augmentations = [Transforms.RandomCrop(1), Transforms.HorizontalFlip(), Transforms.GaussianNoise(0.1)],
        };
        using var straight = NewLearner();
        straight.Fit(data, Options());
        var expected = straight.Session!.State().ToDictionary(kv => kv.Key, kv => kv.Value.Bytes.ToArray());
        string dir = Directory.CreateTempSubdirectory("fit_loader").FullName;
        try
        {
            string ckpt = Path.Combine(dir, "step.safetensors");
            using (var first = NewLearner())
                first.Fit(data, Options(ckpt: ckpt, every: 6) with { Callbacks = [new Resume.ExactResumeTests.StopAtStep(6)] });   // step 6: batch 2 of epoch 2
            using var resumed = NewLearner();
            resumed.Fit(data, Options(resume: ckpt));
            Assert.AreEqual(12, resumed.Session!.StepCount);
            AssertSameState(expected, resumed);
        }
        finally { Directory.Delete(dir, true); }
    }
}
