namespace OnnxKit.Training.Tuning;

/// <summary>
/// A mixture of Gaussians truncated to [low, high], one per observation plus a prior component centred on the range
/// with the range's width as its spread, all of equal weight. Each observation's bandwidth is the larger gap to its
/// sorted neighbours (Hyperopt's rule), kept between width / min(100, n + 1) and the width, so isolated points
/// spread wide and clustered points stay sharp.
/// </summary>
internal sealed class ParzenEstimator
{
    private readonly double[] _mu, _sigma, _logMass;
    private readonly double _low, _high;

    public ParzenEstimator(IEnumerable<double> observations, double low, double high)
    {
        _low = low; _high = high;
        double width = high - low, prior = (low + high) / 2;
        var mus = observations.Append(prior).OrderBy(x => x).ToArray();
        int priorIndex = Array.IndexOf(mus, prior);
        double minSigma = width / Math.Min(100.0, mus.Length);
        _mu = mus;
        _sigma = new double[mus.Length];
        for (int i = 0; i < mus.Length; i++)
        {
            double left = i > 0 ? mus[i] - mus[i - 1] : mus[i] - low;
            double right = i < mus.Length - 1 ? mus[i + 1] - mus[i] : high - mus[i];
            _sigma[i] = i == priorIndex ? width : Math.Clamp(Math.Max(left, right), minSigma, width);
        }
        // log of each component's mass inside [low, high], the normaliser of its truncated density
        _logMass = new double[mus.Length];
        for (int i = 0; i < mus.Length; i++)
            _logMass[i] = Math.Log(Math.Max(1e-300, Normal.Cdf((high - _mu[i]) / _sigma[i]) - Normal.Cdf((low - _mu[i]) / _sigma[i])));
    }

    /// <summary>A draw: a component chosen uniformly, then its truncated Gaussian by rejection (clamped after many misses).</summary>
    public double Sample(Random rng)
    {
        int k = rng.Next(_mu.Length);
        for (int tries = 0; tries < 100; tries++)
        {
            double x = _mu[k] + _sigma[k] * Normal.Sample(rng);
            if (x >= _low && x <= _high) return x;
        }
        return Math.Clamp(_mu[k], _low, _high);
    }

    /// <summary>log of the mixture's density at <paramref name="x"/> (log-sum-exp over the components).</summary>
    public double LogDensity(double x)
    {
        double max = double.NegativeInfinity;
        var terms = new double[_mu.Length];
        for (int i = 0; i < _mu.Length; i++)
        {
            double z = (x - _mu[i]) / _sigma[i];
            terms[i] = -0.5 * z * z - Math.Log(_sigma[i]) - 0.5 * Math.Log(2 * Math.PI) - _logMass[i];
            max = Math.Max(max, terms[i]);
        }
        double sum = 0;
        foreach (double t in terms) sum += Math.Exp(t - max);
        return max + Math.Log(sum / _mu.Length);
    }
}

/// <summary>The standard normal distribution's CDF and draws.</summary>
internal static class Normal
{
    /// <summary>Φ(z) through erfc (.NET has no erf; this is the Chebyshev fit of Numerical Recipes' erfcc, relative error below 1.2e-7 everywhere).</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
            + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Sample(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
