namespace OnnxKit.Training.Privacy;

/// <summary>How a Rényi-DP guarantee (α, ρ) is turned into an (ε, δ) guarantee.</summary>
public enum RdpConversion
{
    /// <summary>
    /// Balle, Barthe, Gaboardi, Hsu and Sato 2020, "Hypothesis Testing Interpretations and Rényi Differential Privacy",
    /// Theorem 21: ε = ρ + log((α − 1)/α) − (log δ + log α)/(α − 1). Tighter than <see cref="Classic"/> at every order;
    /// the conversion Opacus and TensorFlow Privacy use today (the same bound appears in Canonne, Kamath and Steinke 2020).
    /// </summary>
    Balle2020,
    /// <summary>Mironov 2017, "Rényi Differential Privacy", Proposition 3: ε = ρ + log(1/δ)/(α − 1) (what TensorFlow Privacy used until 2021).</summary>
    Classic,
}

/// <summary>An (ε, δ) guarantee and the Rényi order that gave the smallest ε.</summary>
/// <param name="Epsilon">ε.</param>
/// <param name="Delta">δ.</param>
/// <param name="Order">The order α at which the conversion was tightest.</param>
public sealed record PrivacySpent(double Epsilon, double Delta, double Order);

/// <summary>
/// Rényi-DP accountant of DP-SGD: the Poisson-subsampled Gaussian mechanism (each example in a batch independently
/// with probability q, Gaussian noise of σ times the sensitivity), composed over the steps by adding Rényi divergences,
/// then converted to (ε, δ) at the best of a list of orders.
/// <para>
/// The divergence of order α per step is log(A_α)/(α − 1) with A_α the α-th moment of the privacy loss of
/// μ = (1 − q)·N(0, σ²) + q·N(1, σ²) against N(0, σ²) (Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy of
/// the Sampled Gaussian Mechanism"). For integer α, Section 3.3's binomial expansion
/// A_α = Σₖ C(α, k) (1 − q)^(α−k) qᵏ exp((k² − k)/(2σ²)); for fractional α, the two infinite series of the same section,
/// split at z₀ = σ² log(1/q − 1) + ½, with Gaussian tails written through erfc. Every term is summed in log space.
/// </para>
/// </summary>
public static class RdpAccountant
{
    /// <summary>The accountant's name as written in reports.</summary>
    public const string Name = "rdp";

    /// <summary>
    /// Orders 1.25 … 256: every quarter up to 11 (fractional orders matter for small ε and large σ), every integer to 64,
    /// then coarser up to 256 (large orders matter for large ε).
    /// </summary>
    public static IReadOnlyList<double> DefaultOrders { get; } =
    [
        .. Enumerable.Range(5, 40).Select(k => k / 4.0),               // 1.25, 1.5, …, 10.75
        .. Enumerable.Range(11, 54).Select(k => (double)k),            // 11 … 64
        72, 80, 96, 112, 128, 160, 192, 224, 256,
    ];

    /// <summary>
    /// The Rényi divergence of order <paramref name="order"/> of one step of the sampled Gaussian mechanism with sampling
    /// rate <paramref name="q"/> and noise multiplier <paramref name="noiseMultiplier"/> (σ in units of the sensitivity).
    /// </summary>
    public static double SampledGaussianRdp(double q, double noiseMultiplier, double order)
    {
        CheckArguments(q, noiseMultiplier);
        if (!(order > 1) || double.IsInfinity(order)) throw new ArgumentOutOfRangeException(nameof(order), order, "Rényi orders must be finite and greater than 1");
        if (q == 0) return 0;
        if (noiseMultiplier == 0) return double.PositiveInfinity;
        double s2 = noiseMultiplier * noiseMultiplier;
        if (q == 1) return order / (2 * s2); // the Gaussian mechanism without sampling
        // Sampling never costs privacy: the unsampled mechanism's α/(2σ²) bounds the result, and stands in for the
        // fractional series where that converges too slowly to sum (q near ½ with σ so large that ε is tiny anyway).
        double unsampled = order / (2 * s2);
        double? logA = order == Math.Floor(order) ? LogMomentInteger(q, s2, (long)order) : LogMomentFractional(q, noiseMultiplier, order);
        return logA is double a ? Math.Min(a / (order - 1), unsampled) : unsampled;
    }

    /// <summary>The privacy spent by <paramref name="steps"/> steps at sampling rate <paramref name="q"/> and noise multiplier <paramref name="noiseMultiplier"/>, for <paramref name="delta"/>.</summary>
    public static PrivacySpent Epsilon(double q, double noiseMultiplier, long steps, double delta,
        RdpConversion conversion = RdpConversion.Balle2020, IReadOnlyList<double>? orders = null)
    {
        CheckArguments(q, noiseMultiplier);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (!(delta > 0 && delta < 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must lie in (0, 1)");
        orders ??= DefaultOrders;
        if (orders.Count == 0) throw new ArgumentException("at least one Rényi order is needed", nameof(orders));
        var best = new PrivacySpent(double.PositiveInfinity, delta, orders[0]);
        foreach (var a in orders)
        {
            double rdp = steps * SampledGaussianRdp(q, noiseMultiplier, a);
            double eps = conversion == RdpConversion.Classic
                ? rdp + Math.Log(1 / delta) / (a - 1)
                : rdp + Math.Log((a - 1) / a) - (Math.Log(delta) + Math.Log(a)) / (a - 1);
            if (eps < best.Epsilon) best = new PrivacySpent(Math.Max(0, eps), delta, a);
        }
        return best;
    }

    /// <summary>
    /// The smallest noise multiplier (to 0.1 %) whose <paramref name="steps"/> steps at rate <paramref name="q"/> spend at most
    /// <paramref name="targetEpsilon"/> for <paramref name="delta"/>: bisection on log σ (ε falls as σ grows).
    /// </summary>
    /// <exception cref="ArgumentException">No σ up to 10⁴ reaches the target.</exception>
    public static double NoiseMultiplierFor(double targetEpsilon, double q, long steps, double delta,
        RdpConversion conversion = RdpConversion.Balle2020, IReadOnlyList<double>? orders = null)
    {
        if (!(targetEpsilon > 0) || double.IsInfinity(targetEpsilon)) throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon, "the target ε must be positive and finite");
        double Eps(double sigma) => Epsilon(q, sigma, steps, delta, conversion, orders).Epsilon;
        double lo = 1e-2, hi = 1e4;
        if (Eps(hi) > targetEpsilon)
            throw new ArgumentException($"ε = {targetEpsilon} is out of reach at δ = {delta}, sampling rate {q} and {steps} steps even with noise multiplier {hi}; allow a larger ε or fewer steps");
        if (Eps(lo) <= targetEpsilon) return lo;
        while (hi / lo > 1.001)
        {
            double mid = Math.Sqrt(lo * hi);
            if (Eps(mid) <= targetEpsilon) hi = mid; else lo = mid;
        }
        return hi;
    }

    private static void CheckArguments(double q, double noiseMultiplier)
    {
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "the sampling rate must lie in [0, 1]");
        if (!(noiseMultiplier >= 0) || double.IsInfinity(noiseMultiplier)) throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be finite and non-negative");
    }

    // log A_α for integer α: the binomial expansion, every term positive.
    private static double LogMomentInteger(double q, double s2, long alpha)
    {
        double sum = double.NegativeInfinity, logBinom = 0, lq = Math.Log(q), l1q = Math.Log(1 - q);
        for (long k = 0; k <= alpha; k++)
        {
            if (k > 0) logBinom += Math.Log(alpha - k + 1) - Math.Log(k);
            sum = LogSpace.Add(sum, logBinom + k * lq + (alpha - k) * l1q + (k * k - k) / (2 * s2));
        }
        return sum;
    }

    // log A_α for fractional α: A_α = Σᵢ C(α, i) [qⁱ(1−q)^(α−i) e^((i²−i)/2σ²) ½erfc((i−z₀)/(√2σ))
    //                                       + q^(α−i)(1−q)ⁱ e^((j²−j)/2σ²) ½erfc((z₀−j)/(√2σ))], j = α − i.
    // C(α, i) alternates in sign past i = α + 1, so positive and negative terms are summed apart and subtracted once.
    private static double? LogMomentFractional(double q, double sigma, double alpha)
    {
        double s2 = sigma * sigma, z0 = s2 * Math.Log(1 / q - 1) + 0.5, lq = Math.Log(q), l1q = Math.Log(1 - q), lHalf = Math.Log(0.5);
        double positive = double.NegativeInfinity, negative = double.NegativeInfinity;
        double logAbsBinom = 0; int sign = 1;
        for (int i = 0; i < 20_000; i++)
        {
            if (i > 0)
            {
                double factor = (alpha - i + 1) / i;
                if (factor < 0) sign = -sign;
                logAbsBinom += Math.Log(Math.Abs(factor));
            }
            double j = alpha - i;
            double t0 = logAbsBinom + i * lq + j * l1q + (i * (double)i - i) / (2 * s2) + lHalf + LogSpace.LogErfc((i - z0) / (Math.Sqrt(2) * sigma));
            double t1 = logAbsBinom + j * lq + i * l1q + (j * j - j) / (2 * s2) + lHalf + LogSpace.LogErfc((z0 - j) / (Math.Sqrt(2) * sigma));
            double term = LogSpace.Add(t0, t1);
            if (sign > 0) positive = LogSpace.Add(positive, term); else negative = LogSpace.Add(negative, term);
            // Past i = α + 1 the signs alternate and the magnitudes fall, so the error of stopping is at most the next
            // term: stop once that is below e⁻²⁸ of the sum.
            if (i > alpha + 1 && term < positive - 28) return LogSpace.Subtract(positive, negative);
        }
        return null;
    }
}
