using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Privacy;

namespace OnnxKit.Tests.Privacy;

/// <summary>
/// The Rényi-DP accountant against (a) an independent float64 evaluation of the same moment by numerical integration
/// (no binomial series, no erfc), and (b) the values TensorFlow Privacy published for its MNIST tutorial.
/// </summary>
[TestClass]
public sealed class RdpAccountantTests
{
    // A_α = E_{z ~ N(0, σ²)} [((1 − q) + q·exp((2z − 1)/(2σ²)))^α], integrated on a fine grid in log space (trapezoid rule)
    // over every z where the integrand is within e^-60 of its peak.
    private static double RdpByIntegration(double q, double sigma, double alpha)
    {
        double s2 = sigma * sigma;
        double LogIntegrand(double z) => -z * z / (2 * s2) - 0.5 * Math.Log(2 * Math.PI * s2)
            + alpha * Math.Log((1 - q) + q * Math.Exp((2 * z - 1) / (2 * s2)));
        double lo = -40 * sigma, hi = alpha + 40 * sigma + 1, h = sigma / 400;
        int n = (int)Math.Ceiling((hi - lo) / h);
        var logs = new double[n + 1];
        double peak = double.NegativeInfinity;
        for (int i = 0; i <= n; i++) { logs[i] = LogIntegrand(lo + i * h); peak = Math.Max(peak, logs[i]); }
        double sum = 0;
        for (int i = 0; i <= n; i++) sum += (i == 0 || i == n ? 0.5 : 1) * Math.Exp(logs[i] - peak);
        return (peak + Math.Log(sum * h)) / (alpha - 1);
    }

    [TestMethod]
    [DataRow(256 / 60000.0, 1.1)]
    [DataRow(0.01, 4.0)]
    [DataRow(0.1, 0.8)]
    [DataRow(0.05, 2.0)]
    public void SampledGaussianRdpMatchesNumericalIntegrationAtFractionalAndIntegerOrders(double q, double sigma)
    {
        foreach (var alpha in new[] { 1.25, 1.5, 1.75, 2, 2.5, 3, 4.75, 8, 10.5, 16, 32.5, 64, 128, 256 })
        {
            double expected = RdpByIntegration(q, sigma, alpha);
            double actual = RdpAccountant.SampledGaussianRdp(q, sigma, alpha);
            Assert.AreEqual(expected, actual, 1e-7 * Math.Max(1, Math.Abs(expected)), $"q {q}, σ {sigma}, α {alpha}");
        }
    }

    [TestMethod]
    public void WithoutSamplingTheGaussianMechanismsClosedFormHolds()
    {
        // q = 1: D_α(N(1, σ²) ‖ N(0, σ²)) = α / (2σ²) (Mironov 2017, Proposition 7).
        Assert.AreEqual(3.5 / (2 * 1.5 * 1.5), RdpAccountant.SampledGaussianRdp(1, 1.5, 3.5), 1e-15);
        Assert.AreEqual(0, RdpAccountant.SampledGaussianRdp(0, 1.5, 3.5));
    }

    // TensorFlow Privacy's tutorials/README.md, "Select Parameters" table (MNIST, batch 256 of 60000, δ = 1e-5, its RDP
    // accountant with orders 1.1…10.9 and 12…63 and the classic conversion of that time, steps = epochs × (60000 // 256)):
    // noise 1.12 for 60 epochs → ε 2.92; noise 0.6 for 30 epochs → 9.74; noise 1.2 for 10 epochs → 1.20.
    private static readonly double[] TfOrders = [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(12, 52).Select(x => (double)x)];

    [TestMethod]
    [DataRow(1.12, 60, 2.92)]
    [DataRow(0.6, 30, 9.74)]
    [DataRow(1.2, 10, 1.20)]
    public void TensorFlowPrivacyMnistTutorialEpsilonIsReproducedWithinOnePercent(double sigma, int epochs, double published)
    {
        var spent = RdpAccountant.Epsilon(256 / 60000.0, sigma, epochs * (60000 / 256), 1e-5, RdpConversion.Classic, TfOrders);
        Assert.AreEqual(published, spent.Epsilon, 0.01 * published, $"ε {spent.Epsilon} at order {spent.Order}");
    }

    [TestMethod]
    public void TheBalleConversionIsTighterThanTheClassicOne()
    {
        var classic = RdpAccountant.Epsilon(256 / 60000.0, 1.1, 14040, 1e-5, RdpConversion.Classic);
        var balle = RdpAccountant.Epsilon(256 / 60000.0, 1.1, 14040, 1e-5, RdpConversion.Balle2020);
        Assert.IsTrue(balle.Epsilon < classic.Epsilon, $"{balle.Epsilon} vs {classic.Epsilon}");
        Assert.IsTrue(balle.Epsilon > 0.7 * classic.Epsilon, $"{balle.Epsilon} vs {classic.Epsilon}");
    }

    [TestMethod]
    public void TheSolvedNoiseMultiplierSpendsTheTargetEpsilon()
    {
        double q = 512 / 60000.0; long steps = 20 * 117;
        double sigma = RdpAccountant.NoiseMultiplierFor(3.0, q, steps, 1e-5);
        double at = RdpAccountant.Epsilon(q, sigma, steps, 1e-5).Epsilon;
        double justBelow = RdpAccountant.Epsilon(q, sigma / 1.002, steps, 1e-5).Epsilon;
        Assert.IsTrue(at <= 3.0 && justBelow > 3.0, $"σ {sigma}: ε {at}, at σ/1.002 ε {justBelow}");
    }

    [TestMethod]
    public void UnreachableTargetsAndBadArgumentsAreRefusedByName()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => RdpAccountant.NoiseMultiplierFor(1e-9, 0.5, 1_000_000, 1e-5));
        StringAssert.Contains(e.Message, "out of reach");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RdpAccountant.Epsilon(1.5, 1, 10, 1e-5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RdpAccountant.Epsilon(0.1, 1, 10, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RdpAccountant.SampledGaussianRdp(0.1, 1, 1));
    }
}
