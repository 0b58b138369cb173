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
}
