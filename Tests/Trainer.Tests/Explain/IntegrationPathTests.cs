using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Explain;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Explain;

/// <summary>The quadrature rules of Integrated Gradients: hand-computed small cases and NumPy's Gauss–Legendre points.</summary>
[TestClass]
public sealed class IntegrationPathTests
{
    [TestMethod]
    public void SmallRulesHaveTheirTextbookPointsAndWeights()
    {
        foreach (var (rule, alphas, weights) in new (IntegrationRule, double[], double[])[]
        {
            (IntegrationRule.Trapezoid, [0, 0.5, 1], [0.25, 0.5, 0.25]),
            (IntegrationRule.RiemannLeft, [0, 0.25, 0.5, 0.75], [0.25, 0.25, 0.25, 0.25]),
            (IntegrationRule.RiemannRight, [0.25, 0.5, 0.75, 1], [0.25, 0.25, 0.25, 0.25]),
            (IntegrationRule.RiemannMiddle, [0.125, 0.375, 0.625, 0.875], [0.25, 0.25, 0.25, 0.25]),
            // Two points: (1 ± 1/√3)/2, weights ½; one point: the midpoint.
            (IntegrationRule.GaussLegendre, [0.5 - 0.5 / Math.Sqrt(3), 0.5 + 0.5 / Math.Sqrt(3)], [0.5, 0.5]),
        })
        {
            var (a, w) = IntegrationPath.Quadrature(rule, alphas.Length);
            Compare.Close(alphas, a, 1e-15, 0, $"{rule} positions");
            Compare.Close(weights, w, 1e-15, 0, $"{rule} weights");
        }
        var (a1, w1) = IntegrationPath.Quadrature(IntegrationRule.GaussLegendre, 1);
        Compare.Close(new[] { 0.5 }, a1, 1e-15, 0, "one Gauss point");
        Compare.Close(new[] { 1.0 }, w1, 1e-15, 0, "one Gauss weight");
    }

    [TestMethod]
    public void GaussLegendreEqualsNumPysLeggaussAndIntegratesPolynomialsExactly()
    {
        foreach (int n in new[] { 16, 128, 1024 })
        {
            var (a, w) = IntegrationPath.Quadrature(IntegrationRule.GaussLegendre, n);
            // Exact for degree 2n − 1: ∫₀¹ α^(2n−1) dα = 1/(2n); for n = 1024 the high power only tests the nodes near 1.
            double power = a.Zip(w).Sum(p => p.Second * Math.Pow(p.First, Math.Min(2 * n - 1, 63)));
            Assert.AreEqual(1.0 / (Math.Min(2 * n - 1, 63) + 1), power, 1e-12, $"{n} points integrate a monomial");
            if (!Python.Has("numpy")) continue;
            var (code, stdout, stderr) = Python.RunCode($"import numpy as np, json; x, w = np.polynomial.legendre.leggauss({n}); print(json.dumps([((x + 1) / 2).tolist(), (w / 2).tolist()]))");
            Assert.AreEqual(0, code, stderr);
            var numpy = JsonDocument.Parse(stdout).RootElement;
            Compare.Close(numpy[0].EnumerateArray().Select(v => v.GetDouble()).ToArray(), a, 1e-13, 0, $"{n} positions");
            Compare.Close(numpy[1].EnumerateArray().Select(v => v.GetDouble()).ToArray(), w, 1e-13, 0, $"{n} weights");
        }
    }

    [TestMethod]
    public void EveryRulesWeightsSumToOneAndThePathEndsAreExact()
    {
        foreach (var rule in Enum.GetValues<IntegrationRule>())
            foreach (int n in new[] { 2, 7, 128 })
                Assert.AreEqual(1.0, IntegrationPath.Quadrature(rule, n).Weights.Sum(), 1e-12, $"{rule}, {n} points");
        // (1 − α)·x′ + α·x gives x′ and x themselves at the ends, where x′ + α(x − x′) can be off by a rounding.
        float[] baseline = [0.1f, 0.7f, -3.3f], input = [0.3f, 1e-8f, 5.9f];
        CollectionAssert.AreEqual(baseline, IntegrationPath.Point(baseline, input, 0));
        CollectionAssert.AreEqual(input, IntegrationPath.Point(baseline, input, 1));
        Assert.AreEqual("gauss-legendre", IntegrationPath.RuleName(IntegrationPath.ParseRule("gauss-legendre")));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => IntegrationPath.ParseRule("simpson")).Message, "riemann-middle");
    }
}
