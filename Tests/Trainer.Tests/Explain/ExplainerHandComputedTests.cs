using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Explain;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Fit;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Explain;

/// <summary>
/// A Learner's linear model, where every method has a closed form: ∂y_t/∂x = W[t], IG = x ⊙ W[t] with zero completeness
/// error, occlusion of one feature = x_i·W[t, i]; and the errors a caller can make.
/// </summary>
[TestClass]
public sealed class ExplainerHandComputedTests
{
    private static (Learner Learner, float[] W) Linear()
    {
        var dense = new Dense(3, inFeatures: 5);
        var learner = new Learner(new Sequential(dense), OptimizerCatalog.Sgd(0.1), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true));
        learner.Build([5]);
        return (learner, dense.Weight!.Data);
    }

    private static readonly float[] X = [0.5f, -1f, 2f, 0.25f, 1.5f];

    [TestMethod]
    public void ALearnersLinearModelGetsItsWeightRowAsEveryAttribution()
    {
        var (learner, w) = Linear();
        using (learner)
        using (var explainer = Explainer.ForLearner(learner))
        {
            var saliency = explainer.Explain(X, new ExplainOptions { Method = AttributionMethod.Saliency, Target = 1 });
            var row = w.Skip(5).Take(5).ToArray();
            Compare.Close(row, saliency.Values, 1e-6, 0, "saliency = W[1]");
            var smooth = explainer.Explain(X, new ExplainOptions { Method = AttributionMethod.SmoothGrad, Target = 1, Samples = 7 });
            Compare.Close(row, smooth.Values, 1e-6, 0, "SmoothGrad of a linear model = W[1]");
            var ig = explainer.Explain(X, new ExplainOptions { Target = 1, Steps = 4 });
            Compare.Close(X.Select((v, i) => v * row[i]).ToArray(), ig.Values, 1e-6, 0, "IG = x ⊙ W[1]");
            Assert.IsTrue(ig.CompletenessError < 1e-5, $"completeness error {ig.CompletenessError}");
            var occlusion = explainer.Explain(X, new ExplainOptions { Method = AttributionMethod.Occlusion, Target = 1 });
            Compare.Close(X.Select((v, i) => v * row[i]).ToArray(), occlusion.Values, 1e-5, 0, "occluding feature i drops x_i·W[1, i]");
            Assert.IsNull(occlusion.CompletenessError);
        }
    }

    [TestMethod]
    public void MistakesAreNamed()
    {
        var (learner, _) = Linear();
        using (learner)
        using (var explainer = Explainer.ForLearner(learner))
        {
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain([1f, 2f])).Message, "takes 5 per sample");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain(X, new ExplainOptions { Target = 3 })).Message, "out of range");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain(X, new ExplainOptions { Steps = 1, Rule = IntegrationRule.Trapezoid })).Message, "at least 2 steps");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain(X, new ExplainOptions { Steps = 0 })).Message, "at least 1 step");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain(X, new ExplainOptions { Method = AttributionMethod.SmoothGrad, Noise = [new float[5], new float[4]] })).Message, "noise row 1 has 4 values");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain(X, new ExplainOptions { Method = AttributionMethod.GradCam })).Message, "image input");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => explainer.Explain(X, new ExplainOptions { Baseline = Baseline.Tensor([1f, 2f]) })).Message, "baseline has 2 values");
        }
    }
}
