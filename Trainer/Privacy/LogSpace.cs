namespace OnnxKit.Training.Privacy;

/// <summary>
/// Arithmetic on logarithms for the accountant: the sampled-Gaussian moments are sums of terms whose exponents reach
/// the thousands, so every term is kept as its logarithm, and the complementary error function is evaluated as
/// log erfc(x) without underflow for large x.
/// </summary>
internal static class LogSpace
{
    /// <summary>log(eᵃ + eᵇ).</summary>
    public static double Add(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        double hi = Math.Max(a, b), lo = Math.Min(a, b);
        return hi + Math.Log(1 + Math.Exp(lo - hi));
    }

    /// <summary>log(eᵃ − eᵇ) for a ≥ b (−∞ when they are equal).</summary>
    public static double Subtract(double a, double b)
    {
        if (double.IsNegativeInfinity(b)) return a;
        if (b > a) throw new ArgumentException($"log-space subtraction would be negative: log terms {a} < {b}");
        if (a == b) return double.NegativeInfinity;
        return a + Math.Log(-double.ExpM1(b - a));
    }

    /// <summary>
    /// log erfc(x). For |x| below 2 from the power series of erf (terms alternate, at most a few digits are lost there);
    /// from 2 on as −x² plus the log of the continued fraction erfc(x)·√π·e^{x²} = 1/(x + ½/(x + 1/(x + 3/2/(x + …)))),
    /// evaluated by Lentz's method to double precision, which never underflows; below −2 through erfc(x) = 2 − erfc(−x).
    /// </summary>
    public static double LogErfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < -2) return Math.Log(2 - Math.Exp(LogErfc(-x)));
        if (x < 2) return Math.Log(1 - Erf(x));
        double f = x, c = x, d = 0;
        for (int n = 1; n < 1000; n++)
        {
            double a = n / 2.0;
            d = 1 / (x + a * d);
            c = x + a / c;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return -x * x - Math.Log(f) - 0.5 * Math.Log(Math.PI);
    }

    // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)), for |x| < 2.
    private static double Erf(double x)
    {
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
