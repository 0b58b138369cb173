using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Privacy;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;

namespace OnnxKit.Tests.Privacy;

/// <summary>The DP-SGD step: noise of the stated scale and divisor, its generator, Poisson sampling, and the refusals.</summary>
[TestClass]
public sealed class DpSgdTests
{
    private static readonly TensorType Input = new(ElementType.Float32, new Shape(Dim.Sym("batch"), 20));

    [TestMethod]
    public void NoiseIsStandardNormalAndAFunctionOfSeedAndStep()
    {
        var dp = new DpSgd(new Sgd(0.1), 1, 1, 8, seed: 42);
        const int n = 200_000;
        var a = new float[n]; var again = new float[n]; var next = new float[n];
        dp.FillNoise(3, a); dp.FillNoise(3, again); dp.FillNoise(4, next);
        CollectionAssert.AreEqual(a, again, "the same step must get the same noise");
        double mean = a.Average(x => (double)x), variance = a.Average(x => (x - mean) * (x - mean));
        double within1 = a.Count(x => Math.Abs(x) < 1) / (double)n, corr = a.Zip(next, (x, y) => (double)x * y).Average();
        // 4.5 standard errors: a fixed seed, so these either always pass or always fail.
        Assert.AreEqual(0, mean, 4.5 / Math.Sqrt(n), "mean");
        Assert.AreEqual(1, variance, 4.5 * Math.Sqrt(2.0 / n), "variance");
        Assert.AreEqual(0.682689, within1, 4.5 * Math.Sqrt(0.6827 * 0.3173 / n), "P(|ξ| < 1)");
        Assert.AreEqual(0, corr, 4.5 / Math.Sqrt(n), "steps 3 and 4 must be independent");
    }

    [TestMethod]
    public void OneStepAddsNoiseOfSigmaTimesClipDividedByTheExpectedBatch()
    {
        const double sigma = 3, clip = 0.5, lr = 1; const int expected = 5, batch = 4;
        var rnd = new Random(5);
        float[] x = Enumerable.Range(0, batch * 20).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray();
        long[] y = [0, 1, 2, 1];
        Dictionary<string, float[]> Update(double noise)
        {
            var model = new Sequential(new Dense(50, Activation.Tanh), new Dense(10)) { Seed = 9 };
            var dp = new DpSgd(new Sgd(lr), noise, clip, expected, seed: 7);
            var art = TrainingArtifacts.Create(model, Input, LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), dp);
            using var session = new TrainingSession(art, dp);
            var before = session.State();
            session.Step(x, y, batch, lr);
            var after = session.State();
            return art.Manifest.State.Where(s => s.Kind == "parameter")
                .ToDictionary(s => s.Name, s => before[s.Name].ToFloats().Zip(after[s.Name].ToFloats(), (b, a) => b - a).ToArray());
        }
        var noisy = Update(sigma);
        var clean = Update(0);
        // Δ = lr·(Σ clip(gᵢ) + σ·C·ξ)/B_expected, so ξ = B_expected·(Δ_noisy − Δ_clean)/(lr·σ·C), parameters in state order.
        var recovered = noisy.Keys.SelectMany(k => noisy[k].Zip(clean[k], (a, b) => expected * (a - b) / (lr * sigma * clip))).ToArray();
        var xi = new float[recovered.Length];
        new DpSgd(new Sgd(lr), sigma, clip, expected, seed: 7).FillNoise(1, xi);
        for (int i = 0; i < xi.Length; i++) Assert.AreEqual(xi[i], recovered[i], 2e-3 * Math.Max(1, Math.Abs(xi[i])), $"noise element {i}");
        double std = Math.Sqrt(recovered.Average(v => v * v));
        Assert.AreEqual(1, std, 0.1, "the noise in the update, in units of σ·C/B, has standard deviation 1");
        // And the clipped part is bounded: ‖Σ clip(gᵢ)‖ ≤ B·C.
        double cleanNorm = Math.Sqrt(clean.Values.SelectMany(v => v).Sum(v => (double)v * v)) * expected / lr;
        Assert.IsTrue(cleanNorm <= batch * clip * (1 + 1e-4), $"‖Σ clip(gᵢ)‖ = {cleanNorm} exceeds B·C = {batch * clip}");
    }

    [TestMethod]
    public void OnTheZooConvNetWithoutNoiseOrClippingTheStepIsPlainSgd()
    {
        // The DP recipe's network: its small second convolution is one the batch gradients would rewrite into a GEMM over
        // im2col; the per-example rules must still see the model's Conv layers. With σ = 0, a clip no gradient reaches
        // and the expected batch equal to the real one, DP-SGD's update is SGD's.
        const int batch = 3; const double lr = 0.05;
        var type = new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 1, 28, 28));
        var rnd = new Random(3);
        float[] x = Enumerable.Range(0, batch * 784).Select(_ => (float)rnd.NextDouble()).ToArray();
        long[] y = [3, 7, 1];
        Dictionary<string, float[]> After(Optimizer optimizer)
        {
            var model = OnnxKit.Zoo.ModelZoo.Create("cnn-tanh", [1, 28, 28], 10, seed: 4);
            var art = TrainingArtifacts.Create(model, type, LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), optimizer);
            using var session = new TrainingSession(art, optimizer);
            session.Step(x, y, batch, lr);
            var state = session.State();
            return art.Manifest.State.Where(s => s.Kind == "parameter").ToDictionary(s => s.Name, s => state[s.Name].ToFloats());
        }
        var plain = After(new Sgd(lr));
        var dp = After(new DpSgd(new Sgd(lr), noiseMultiplier: 0, maxGradNorm: 1e6, expectedBatchSize: batch, seed: 1));
        Assert.AreEqual(32 * 16 * 4 * 4, plain["4.weight"].Length, "the second convolution is trained");
        foreach (var (name, expected) in plain)
            for (int i = 0; i < expected.Length; i++)
                Assert.AreEqual(expected[i], dp[name][i], 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"{name}[{i}]");
    }

    [TestMethod]
    public void BatchNormIsRefusedNamingTheLayerAndTheAlternatives()
    {
        var model = new Sequential(new Dense(8), new BatchNorm1d(8), new Dense(3));
        var e = Assert.ThrowsExactly<NotSupportedException>(() => TrainingArtifacts.Create(model, Input,
            LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), new DpSgd(new Adam(1e-3), 1, 1, 32)));
        StringAssert.Contains(e.Message, "layer '1'");
        StringAssert.Contains(e.Message, "LayerNorm");
        StringAssert.Contains(e.Message, "GroupNorm");
    }

    [TestMethod]
    public void AParameterWithoutAPerExampleRuleIsRefusedNamingItAndTheNode()
    {
        var g = new GraphBuilder("prelu") { Training = true };
        var x = g.Input("x", ElementType.Float32, Dim.Sym("batch"), 3);
        var slope = g.Initializer(TensorData.FromFloats("act.slope", [0.1f, 0.2f, 0.3f], 3));
        var loss = Op.ReduceMean(Op.PRelu(x, slope), null, keepDims: false);
        var e = Assert.ThrowsExactly<NotSupportedException>(() => PerExampleGradients.Build(g, loss, ["act.slope"], 1));
        StringAssert.Contains(e.Message, "'act.slope'");
        StringAssert.Contains(e.Message, "PRelu");
    }

    [TestMethod]
    public void InnerClippingAndBadArgumentsAreRefused()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new DpSgd(new Sgd(0.1) { ClipGradNorm = 1 }, 1, 1, 32));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DpSgd(new Sgd(0.1), -1, 1, 32));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DpSgd(new Sgd(0.1), 1, 0, 32));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DpSgd(new Sgd(0.1), 1, 1, 0));
    }

    [TestMethod]
    public void PoissonBatchesIncludeEveryExampleWithTheRateAndAreReproducible()
    {
        var sampler = new PoissonSampler(0.05, seed: 3);
        const int n = 2000, steps = 400;
        var batches = sampler.Batches(n, epoch: 1, steps);
        var counts = new int[n];
        foreach (var b in batches) { foreach (var i in b) counts[i]++; CollectionAssert.AllItemsAreUnique(b); }
        double meanSize = batches.Average(b => b.Length);
        Assert.AreEqual(0.05 * n, meanSize, 4.5 * Math.Sqrt(n * 0.05 * 0.95 / steps), "mean batch size q·N");
        Assert.AreEqual(0.05 * n * 0.95, batches.Select(b => (b.Length - meanSize) * (b.Length - meanSize)).Average(), 0.25 * 0.05 * n, "batch size variance N·q·(1 − q)");
        // Each example's inclusion count over the steps is Binomial(steps, q): the first and last rows as well as the middle.
        Assert.AreEqual(steps * 0.05, counts.Take(100).Average(), 4.5 * Math.Sqrt(steps * 0.05 / 100));
        Assert.AreEqual(steps * 0.05, counts.Skip(n - 100).Average(), 4.5 * Math.Sqrt(steps * 0.05 / 100));
        CollectionAssert.AreEqual(batches[7], sampler.Batch(n, 1, 7));
        CollectionAssert.AreNotEqual(batches[7], sampler.Batch(n, 2, 7));
    }
}
