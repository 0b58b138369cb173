using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Resume;

/// <summary>The train step's Dropout masks, drawn in the graph from the step counter: the right rate, scaling and independence, and fixed by the step.</summary>
[TestClass]
public sealed class StepSeededDropoutTests
{
    [TestMethod]
    public void MasksDropTheRatioScaleTheSurvivorsAndDependOnlyOnTheStep()
    {
        const int n = 8, width = 1000;
        var model = new Sequential(new Dense(width, inFeatures: 3), new Dropout(0.3)) { Seed = 1 };
        var opt = OptimizerCatalog.Sgd(1e-9);   // the weights barely move: masks are compared step to step
        var art = TrainingArtifacts.Create(model, new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 3)), LossCatalog.MeanSquaredError(), opt);
        CollectionAssert.DoesNotContain(art.TrainStep.Graph.Nodes.Select(x => x.OpType).ToList(), "Dropout");
        using var s = new TrainingSession(art, opt, new TrainingSessionOptions { IntraOpThreads = 1 });
        var x = Enumerable.Range(0, n * 3).Select(i => 0.5f + i % 7 * 0.25f).ToArray();
        var y = new float[n * width];
        s.Evaluate(x, y, n);
        var plain = s.LastOutput.ToArray();
        bool[] Dropped() => s.LastOutput.ToArray().Select(v => v == 0).ToArray();

        s.Step(x, y, n, 1e-9);
        var out1 = s.LastOutput.ToArray();
        var m1 = Dropped();
        double rate = m1.Count(d => d) / (double)m1.Length;
        Assert.AreEqual(0.3, rate, 0.02, "fraction dropped (8000 draws: 4 standard deviations is 0.02)");
        for (int i = 0; i < out1.Length; i++)
            if (!m1[i]) Assert.AreEqual(plain[i] / 0.7, out1[i], 1e-5 * Math.Abs(plain[i] / 0.7) + 1e-6, $"survivor {i} scaled by 1/(1 − p)");
        // Samples draw independently: both of two samples dropped at a position about p² of the time.
        double both = Enumerable.Range(0, width).Count(j => m1[j] && m1[width + j]) / (double)width;
        Assert.AreEqual(0.09, both, 0.04);

        s.Step(x, y, n, 1e-9);
        var m2 = Dropped();
        double same = m1.Zip(m2, (a, b) => a == b).Count(t => t) / (double)m1.Length;
        Assert.AreEqual(0.58, same, 0.03, "step 2's mask is a fresh draw (agreement p² + (1 − p)² = 0.58)");

        // Back to step counter 1: the mask of step 2 again.
        s.SetStepCount(1);
        s.Step(x, y, n, 1e-9);
        CollectionAssert.AreEqual(m2, Dropped(), "the mask is a function of the step counter");
    }

    [TestMethod]
    public void MasksOverManyStepsDrawLikeIndependentCoinsAcrossPositionsAndSteps()
    {
        // 160 steps of a [64, 64] mask at p = 0.2: each statistic below is a count of independent-coin events, checked
        // against its binomial mean within 4 standard deviations (computed here by hand from p and the number of trials).
        const int n = 64, width = 64, steps = 160;
        const double p = 0.2;
        var model = new Sequential(new Dense(width, inFeatures: 3), new Dropout(p)) { Seed = 2 };
        var opt = OptimizerCatalog.Sgd(1e-9);
        var art = TrainingArtifacts.Create(model, new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 3)), LossCatalog.MeanSquaredError(), opt);
        using var s = new TrainingSession(art, opt, new TrainingSessionOptions { IntraOpThreads = 1 });
        var x = Enumerable.Range(0, n * 3).Select(i => 0.5f + i % 7 * 0.25f).ToArray();
        var y = new float[n * width];
        s.Evaluate(x, y, n);
        Assert.IsFalse(s.LastOutput.ToArray().Any(v => v == 0), "no output is zero before Dropout");
        var dropped = new bool[steps][];
        for (int t = 0; t < steps; t++)
        {
            s.Step(x, y, n, 1e-9);
            dropped[t] = s.LastOutput.ToArray().Select(v => v == 0).ToArray();
        }
        bool D(int t, int b, int f) => dropped[t][b * width + f];

        static void Near(double q, long hits, long trials, string what)
        {
            double sd = Math.Sqrt(q * (1 - q) / trials);
            Assert.AreEqual(q, hits / (double)trials, 4 * sd, $"{what}: {hits} of {trials} (expected {q:G4} ± {4 * sd:G3})");
        }
        long Count(Func<int, int, int, bool> e, int dt, int db, int df)
        {
            long c = 0;
            for (int t = 0; t + dt < steps; t++) for (int b = 0; b + db < n; b++) for (int f = 0; f + df < width; f++) if (e(t, b, f)) c++;
            return c;
        }
        Near(p, Count(D, 0, 0, 0), (long)steps * n * width, "dropped");
        Near(p * p, Count((t, b, f) => D(t, b, f) && D(t + 1, b, f), 1, 0, 0), (long)(steps - 1) * n * width, "dropped at one position in consecutive steps");
        Near(p * p, Count((t, b, f) => D(t, b, f) && D(t, b, f + 1), 0, 0, 1), (long)steps * n * (width - 1), "dropped at neighbouring features");
        Near(p * p, Count((t, b, f) => D(t, b, f) && D(t, b + 1, f), 0, 1, 0), (long)steps * (n - 1) * width, "dropped at the same feature of neighbouring samples");
        Near(p * p * p * p, Count((t, b, f) => D(t, b, f) && D(t, b + 1, f) && D(t, b, f + 1) && D(t, b + 1, f + 1), 0, 1, 1),
            (long)steps * (n - 1) * (width - 1), "a 2×2 block dropped whole");
        // The number dropped per step: binomial(n·width, p) has variance n·width·p(1 − p); the sample variance over the steps
        // lies within ±40 % of it (its relative standard deviation is √(2/(steps − 1)) ≈ 0.11).
        var perStep = dropped.Select(m => (double)m.Count(d => d)).ToArray();
        double mean = perStep.Average(), variance = perStep.Sum(v => (v - mean) * (v - mean)) / (steps - 1);
        Assert.AreEqual(1.0, variance / (n * width * p * (1 - p)), 0.4, "spread of the number dropped per step");
        // Pairs of positions over the steps: for independent positions the squared correlation averages 1/(steps − 1). A fixed
        // dependence between some pairs (a position always dropped with another) raises the mean.
        int m = 48;
        var series = Enumerable.Range(0, m).Select(k => Enumerable.Range(0, steps).Select(t => dropped[t][k * 85 % (n * width)] ? 1.0 : 0.0).ToArray()).ToArray();
        double sum2 = 0; int pairs = 0;
        for (int a = 0; a < m; a++)
            for (int b = a + 1; b < m; b++) { double c = Correlation(series[a], series[b]); sum2 += c * c; pairs++; }
        Assert.AreEqual(1.0, sum2 / pairs * (steps - 1), 0.25, "mean squared correlation between positions over steps, in units of 1/(steps − 1)");
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }
}
