using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using Catalog = OnnxKit.Losses;

namespace OnnxKit.Tests;

/// <summary>
/// Every loss, reduction and option against PyTorch 1.13's <c>torch.nn.functional</c> on the same inputs
/// (<c>Tests/scripts/losses_reference.py</c>): the graph runs in ONNX Runtime, max abs error ≤ 1e-5 in float32.
/// Torch computes in float64 from the same float32 inputs, so the error measured is ours alone.
/// </summary>
[TestClass]
public sealed class LossesTorchTests
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly Reduction[] AllReductions = [Reduction.Mean, Reduction.Sum, Reduction.None, Reduction.BatchMean];

    private sealed record Case(string Label, Loss Loss, HostTensor Prediction, HostTensor Target, string TorchFn,
        Dictionary<string, object> Kwargs, Dim[]? Dims = null);

    [TestMethod]
    public void RegressionLossesMatchTorch()
    {
        var rng = new Random(11);
        var cases = new List<Case>();
        foreach (long[] shape in new[] { new long[] { 6 }, [4, 3, 2] })
            foreach (var r in AllReductions)
            {
                // Differences of two N(0, 2²) samples span both sides of every δ and β below.
                var p = Normal(rng, shape, 2); var t = Normal(rng, shape, 2);
                string s = $"{Shape.Of(shape)} {r}";
                cases.Add(new($"mse {s}", Catalog.MeanSquaredError(r), p, t, "mse_loss", Kw(r)));
                cases.Add(new($"l1 {s}", Catalog.L1(r), p, t, "l1_loss", Kw(r)));
                foreach (var delta in new[] { 1.0, 0.5, 2.5 })
                    cases.Add(new($"huber δ={delta} {s}", Catalog.Huber(delta, r), p, t, "huber_loss", Kw(r, ("delta", delta))));
                foreach (var beta in new[] { 1.0, 0.5, 2.0, 0.0 })
                    cases.Add(new($"smooth_l1 β={beta} {s}", Catalog.SmoothL1(beta, r), p, t, "smooth_l1_loss", Kw(r, ("beta", beta))));
            }
        Check(cases);
    }

    [TestMethod]
    public void SparseCrossEntropyFromLogitsAndProbabilitiesMatchesTorch()
    {
        var rng = new Random(12);
        var cases = new List<Case>();
        var options = new (string Name, double Smoothing, double[]? Weights, long? Ignore)[]
        {
            ("plain", 0, null, null), ("weights", 0, [0.5, 2, 1, 3], null), ("ignore 1", 0, null, 1), ("ignore -100", 0, null, -100),
            ("weights+ignore", 0, [0.5, 2, 1, 3], 2), ("smoothing", 0.1, null, null), ("smoothing+weights", 0.2, [0.5, 2, 1, 3], null),
            ("smoothing+ignore", 0.15, null, 1), ("smoothing+weights+ignore", 0.3, [0.5, 2, 1, 3], -100),
        };
        foreach (long[] shape in new[] { new long[] { 5, 4 }, [3, 4, 2, 3] })
            foreach (var r in AllReductions)
                foreach (var (name, eps, w, ignore) in options)
                {
                    var logits = Normal(rng, shape, 2);
                    var labels = Labels(rng, shape, ignore);
                    var kw = Kw(r, ("label_smoothing", eps));
                    if (w is not null) kw["weight"] = Spec(w, ElementType.Float32);
                    if (ignore is not null) kw["ignore_index"] = ignore.Value;
                    string s = $"{name} {Shape.Of(shape)} {r}";
                    cases.Add(new($"logits {s}", Catalog.CrossEntropy(true, true, eps, w, ignore, r), logits, labels, "cross_entropy", kw));
                    cases.Add(new($"probabilities {s}", Catalog.CrossEntropy(false, true, eps, w, ignore, r), Softmax(logits), labels, "cross_entropy_of_log", kw));
                }
        Check(cases);
    }

    [TestMethod]
    public void DenseCrossEntropyWithOneHotAndSoftTargetsMatchesTorch()
    {
        var rng = new Random(13);
        var cases = new List<Case>();
        var options = new (string Name, double Smoothing, double[]? Weights)[]
            { ("plain", 0, null), ("weights", 0, [0.5, 2, 1]), ("smoothing", 0.2, null), ("smoothing+weights", 0.1, [0.5, 2, 1]) };
        foreach (long[] shape in new[] { new long[] { 5, 3 }, [2, 3, 4] })
            foreach (var r in AllReductions)
                foreach (var (name, eps, w) in options)
                    foreach (bool oneHot in new[] { true, false })
                    {
                        var logits = Normal(rng, shape, 2);
                        var target = oneHot ? OneHot(Labels(rng, shape, null), shape) : Softmax(Normal(rng, shape, 1));
                        var kw = Kw(r, ("label_smoothing", eps));
                        if (w is not null) kw["weight"] = Spec(w, ElementType.Float32);
                        string s = $"{name} {(oneHot ? "one-hot" : "soft")} {Shape.Of(shape)} {r}";
                        cases.Add(new($"logits {s}", Catalog.CrossEntropy(true, false, eps, w, null, r), logits, target, "cross_entropy", kw));
                        cases.Add(new($"probabilities {s}", Catalog.CrossEntropy(false, false, eps, w, null, r), Softmax(logits), target, "cross_entropy_of_log", kw));
                    }
        Check(cases);
    }

    [TestMethod]
    public void NegativeLogLikelihoodMatchesTorch()
    {
        var rng = new Random(14);
        var cases = new List<Case>();
        var options = new (string Name, double[]? Weights, long? Ignore)[]
            { ("plain", null, null), ("weights", [1, 0.25, 4], null), ("ignore", null, 0), ("weights+ignore", [1, 0.25, 4], -100) };
        foreach (long[] shape in new[] { new long[] { 6, 3 }, [2, 3, 5] })
            foreach (var r in AllReductions)
                foreach (var (name, w, ignore) in options)
                {
                    var logProbs = LogSoftmax(Normal(rng, shape, 2));
                    var kw = Kw(r);
                    if (w is not null) kw["weight"] = Spec(w, ElementType.Float32);
                    if (ignore is not null) kw["ignore_index"] = ignore.Value;
                    cases.Add(new($"nll {name} {Shape.Of(shape)} {r}", Catalog.NegativeLogLikelihood(w, ignore, r), logProbs, Labels(rng, shape, ignore), "nll_loss", kw));
                }
        Check(cases);
    }

    [TestMethod]
    public void BinaryCrossEntropyOnProbabilitiesAndLogitsMatchesTorch()
    {
        var rng = new Random(15);
        var cases = new List<Case>();
        foreach (long[] shape in new[] { new long[] { 7 }, [4, 3] })
            foreach (var r in AllReductions)
                foreach (bool hard in new[] { true, false })
                {
                    var logits = Normal(rng, shape, 3);
                    // a few confident logits, where a naive log(sigmoid) under- or overflows
                    logits.Floats[0] = 30; logits.Floats[1] = -30;
                    var target = HostTensor.F32("t", Enumerable.Range(0, logits.Floats.Length).Select(_ => hard ? rng.Next(2) : (float)rng.NextDouble()).ToArray(), shape);
                    var probs = HostTensor.F32("p", Normal(rng, shape, 2).Floats.Select(v => 1 / (1 + MathF.Exp(-v))).ToArray(), shape);
                    string s = $"{(hard ? "0/1" : "soft")} {Shape.Of(shape)} {r}";
                    cases.Add(new($"bce {s}", Catalog.BinaryCrossEntropy(r), probs, target, "binary_cross_entropy", Kw(r)));
                    cases.Add(new($"bce logits {s}", Catalog.BinaryCrossEntropyWithLogits(null, r), logits, target, "binary_cross_entropy_with_logits", Kw(r)));
                    double[] pw = shape.Length == 1 ? [2.5] : [0.5, 2, 4];
                    var kw = Kw(r); kw["pos_weight"] = Spec(pw, ElementType.Float32);
                    cases.Add(new($"bce logits pos_weight {s}", Catalog.BinaryCrossEntropyWithLogits(pw, r), logits, target, "binary_cross_entropy_with_logits", kw));
                }
        Check(cases);
    }

    [TestMethod]
    public void KLDivergenceMatchesTorchIncludingBatchMean()
    {
        var rng = new Random(16);
        var cases = new List<Case>();
        foreach (long[] shape in new[] { new long[] { 4, 5 }, [2, 3, 4] })
            foreach (var r in AllReductions)
                foreach (bool logTarget in new[] { false, true })
                {
                    var logQ = LogSoftmax(Normal(rng, shape, 1.5));
                    var t = Softmax(Normal(rng, shape, 1.5));
                    if (!logTarget) { t.Floats[0] = 0; t.Floats[3] = 0; }   // zero targets: xlogy(0, 0) = 0
                    var target = logTarget ? LogSoftmax(Normal(rng, shape, 1.5)) : t;
                    cases.Add(new($"kl logTarget={logTarget} {Shape.Of(shape)} {r}", Catalog.KLDivergence(logTarget, r), logQ, target, "kl_div", Kw(r, ("log_target", logTarget))));
                }
        Check(cases);
    }

    [TestMethod]
    public void Float64GraphsMatchTorchInDouble()
    {
        var rng = new Random(17);
        long[] shape = [3, 4, 2];
        var x = ToF64(Normal(rng, shape, 2)); var y = ToF64(Normal(rng, shape, 2));
        var labels = Labels(rng, shape, 1);
        double[] w = [0.5, 2, 1, 3];
        var wSpec = Spec(w, ElementType.Float64);
        var cases = new List<Case>
        {
            new("mse", Catalog.MeanSquaredError(), x, y, "mse_loss", Kw(Reduction.Mean)),
            new("huber", Catalog.Huber(0.7, Reduction.Sum), x, y, "huber_loss", Kw(Reduction.Sum, ("delta", 0.7))),
            new("smooth_l1", Catalog.SmoothL1(0.7, Reduction.None), x, y, "smooth_l1_loss", Kw(Reduction.None, ("beta", 0.7))),
            new("ce", Catalog.CrossEntropy(labelSmoothing: 0.2, classWeights: w, ignoreIndex: 1), x, labels, "cross_entropy",
                new() { ["reduction"] = "mean", ["label_smoothing"] = 0.2, ["weight"] = wSpec, ["ignore_index"] = 1L }),
            new("ce dense", Catalog.CrossEntropy(sparse: false, labelSmoothing: 0.1, classWeights: w), x, ToF64(Softmax(Normal(rng, shape, 1))), "cross_entropy",
                new() { ["reduction"] = "mean", ["label_smoothing"] = 0.1, ["weight"] = wSpec }),
            new("nll", Catalog.NegativeLogLikelihood(w, 1, Reduction.Mean), ToF64(LogSoftmax(Normal(rng, shape, 2))), labels, "nll_loss",
                new() { ["reduction"] = "mean", ["weight"] = wSpec, ["ignore_index"] = 1L }),
            new("bce", Catalog.BinaryCrossEntropy(), ToF64(Softmax(Normal(rng, shape, 1))), ToF64(Softmax(Normal(rng, shape, 1))), "binary_cross_entropy", Kw(Reduction.Mean)),
            new("bce logits", Catalog.BinaryCrossEntropyWithLogits([0.5, 3], Reduction.Sum), x, ToF64(Softmax(Normal(rng, shape, 1))), "binary_cross_entropy_with_logits",
                new() { ["reduction"] = "sum", ["pos_weight"] = Spec([0.5, 3], ElementType.Float64) }),
            new("kl", Catalog.KLDivergence(false, Reduction.BatchMean), ToF64(LogSoftmax(x)), ToF64(Softmax(y)), "kl_div", Kw(Reduction.BatchMean, ("log_target", false))),
        };
        Check(cases, atol: 1e-10);
    }

    [TestMethod]
    public void SymbolicClassAndBatchDimensionsComputeTheSameLoss()
    {
        // Every dimension symbolic: batch size and class count come from Shape at run time (batch-mean, label smoothing).
        var rng = new Random(18);
        long[] shape = [3, 4, 2];
        var logits = Normal(rng, shape, 2);
        var labels = Labels(rng, shape, 2);
        Dim[] dims = ["N", "C", "D"];
        var cases = new List<Case>();
        foreach (var r in AllReductions)
        {
            cases.Add(new($"ce symbolic {r}", Catalog.CrossEntropy(labelSmoothing: 0.25, classWeights: [1, 2, 3, 4], ignoreIndex: 2, reduction: r), logits, labels, "cross_entropy",
                new() { ["reduction"] = Torch(r), ["label_smoothing"] = 0.25, ["weight"] = Spec([1, 2, 3, 4], ElementType.Float32), ["ignore_index"] = 2L }, dims));
            cases.Add(new($"ce dense symbolic {r}", Catalog.CrossEntropy(sparse: false, labelSmoothing: 0.25, reduction: r), logits, Softmax(Normal(rng, shape, 1)), "cross_entropy",
                Kw(r, ("label_smoothing", 0.25)), dims));
            cases.Add(new($"mse symbolic {r}", Catalog.MeanSquaredError(r), logits, Normal(rng, shape, 1), "mse_loss", Kw(r), dims));
        }
        Check(cases);
    }

    // ---- harness ----

    private void Check(List<Case> cases, double atol = 1e-5)
    {
        Python.Require("torch");
        var json = JsonSerializer.Serialize(cases.Select(c => new Dictionary<string, object>
        {
            ["fn"] = c.TorchFn, ["input"] = Spec(c.Prediction), ["target"] = Spec(c.Target), ["kwargs"] = c.Kwargs,
        }));
        string path = Path.Combine(Path.GetTempPath(), $"onnxkit_losses_{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        JsonElement refs;
        try { refs = JsonDocument.Parse(Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "losses_reference.py"), path, "--double")).RootElement; }
        finally { File.Delete(path); }
        Assert.AreEqual(cases.Count, refs.GetArrayLength(), "reference count");

        var failures = new List<string>();
        double worst = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var expected = refs[i].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var expectedShape = refs[i].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            double[] actual;
            long[] actualShape;
            try { (actual, actualShape) = Run(c); }
            catch (Exception e) { failures.Add($"{c.Label}: {e.GetType().Name}: {e.Message}"); continue; }
            if (!expectedShape.SequenceEqual(actualShape)) { failures.Add($"{c.Label}: shape [{string.Join(", ", actualShape)}], torch [{string.Join(", ", expectedShape)}]"); continue; }
            double err = Compare.MaxAbs(expected, actual);
            if (expected.Zip(actual).Any(p => double.IsNaN(p.First) != double.IsNaN(p.Second))) err = double.PositiveInfinity;
            worst = Math.Max(worst, err);
            if (!(err <= atol)) failures.Add($"{c.Label}: max abs error {err:E2} > {atol:E0} (torch {expected[0]:R}, onnx {actual[0]:R} at element 0)");
        }
        TestContext.WriteLine($"{cases.Count} cases, worst max abs error {worst:E2}");
        Console.WriteLine($"{TestContext.TestName}: {cases.Count} cases, worst max abs error {worst:E2}");
        if (failures.Count > 0) Assert.Fail($"{failures.Count} of {cases.Count} cases differ from torch:\n" + string.Join("\n", failures));
    }

    private static (double[] Values, long[] Shape) Run(Case c)
    {
        var g = new GraphBuilder("loss_vs_torch");
        var dims = c.Dims ?? c.Prediction.Shape.Select((d, k) => k == 0 ? Dim.Sym("N") : Dim.Of(d)).ToArray();
        var p = g.Input("prediction", c.Prediction.Type, dims);
        var t = g.Input("target", c.Loss.TargetType(p.Type));
        g.Output(c.Loss.Compute(p, t), "loss");
        var outs = OrtRun.Run(g.Build(), c.Prediction with { Name = "prediction" }, c.Target with { Name = "target" });
        return (outs["loss"].Doubles, outs["loss"].Shape);
    }

    private static string Torch(Reduction r) => r switch
    {
        Reduction.Mean => "mean", Reduction.Sum => "sum", Reduction.None => "none", _ => "batchmean",
    };

    private static Dictionary<string, object> Kw(Reduction r, params (string Key, object Value)[] more)
    {
        var d = new Dictionary<string, object> { ["reduction"] = Torch(r) };
        foreach (var (k, v) in more) d[k] = v;
        return d;
    }

    private static Dictionary<string, object> Spec(HostTensor t) => new()
    {
        ["dtype"] = t.Type switch { ElementType.Float32 => "float32", ElementType.Float64 => "float64", _ => "int64" },
        ["shape"] = t.Shape,
        ["data"] = t.Data switch { long[] l => l, _ => t.Doubles },
    };

    private static Dictionary<string, object> Spec(double[] v, ElementType et) =>
        Spec(et == ElementType.Float64 ? HostTensor.F64("w", v, v.Length) : HostTensor.F32("w", v.Select(x => (float)x).ToArray(), v.Length));

    private static HostTensor Normal(Random rng, long[] shape, double scale)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        for (int i = 0; i < n; i++)
            data[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return HostTensor.F32("x", data, shape);
    }

    /// <summary>Class indices for a prediction [N, C, d…]: [N, d…], about a quarter replaced by the ignored index.</summary>
    private static HostTensor Labels(Random rng, long[] shape, long? ignore)
    {
        long[] labelShape = [shape[0], .. shape.Skip(2)];
        long n = labelShape.Aggregate(1L, (a, b) => a * b);
        var data = new long[n];
        for (int i = 0; i < n; i++) data[i] = ignore is { } ii && i % 4 == 1 ? ii : rng.NextInt64(shape[1]);
        return HostTensor.I64("t", data, labelShape);
    }

    private static HostTensor OneHot(HostTensor labels, long[] shape)
    {
        long c = shape[1], inner = shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        var l = (long[])labels.Data;
        for (long n = 0; n < shape[0]; n++)
            for (long j = 0; j < inner; j++)
                data[(n * c + l[n * inner + j]) * inner + j] = 1;
        return HostTensor.F32("t", data, shape);
    }

    private static HostTensor Softmax(HostTensor x) => AlongClasses(x, log: false);
    private static HostTensor LogSoftmax(HostTensor x) => AlongClasses(x, log: true);

    // (log-)softmax along axis 1 of [N, C, d…] (axis 0 of a vector), in double.
    private static HostTensor AlongClasses(HostTensor x, bool log)
    {
        var s = x.Shape;
        long outer = s.Length == 1 ? 1 : s[0], c = s.Length == 1 ? s[0] : s[1], inner = s.Skip(2).Aggregate(1L, (a, b) => a * b);
        var v = x.Doubles;
        var data = new float[v.Length];
        for (long n = 0; n < outer; n++)
            for (long j = 0; j < inner; j++)
            {
                double max = double.NegativeInfinity;
                for (long k = 0; k < c; k++) max = Math.Max(max, v[(n * c + k) * inner + j]);
                double sum = 0;
                for (long k = 0; k < c; k++) sum += Math.Exp(v[(n * c + k) * inner + j] - max);
                for (long k = 0; k < c; k++)
                {
                    long i = (n * c + k) * inner + j;
                    data[i] = (float)(log ? v[i] - max - Math.Log(sum) : Math.Exp(v[i] - max) / sum);
                }
            }
        return HostTensor.F32(x.Name, data, s);
    }

    private static HostTensor ToF64(HostTensor t) => HostTensor.F64(t.Name, t.Doubles, t.Shape);
}
