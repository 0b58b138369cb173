namespace OnnxKit.Training.Tuning;

/// <summary>
/// Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and Kégl 2011, "Algorithms for Hyper-Parameter
/// Optimization"), univariate as in Hyperopt and Optuna's default. After <see cref="StartupTrials"/> random trials,
/// each parameter is drawn on its own: the observed trials where it was active are split at the γ quantile of the
/// objective into the good ones and the rest; a Parzen estimator is fitted to each group (l(x) to the good,
/// g(x) to the rest, both mixed with the parameter's prior); <see cref="Candidates"/> values are drawn from l and the
/// one with the largest l(x)/g(x) — the expected-improvement maximiser of the paper — is kept. Categorical
/// parameters use smoothed category frequencies in place of the densities.
/// </summary>
public sealed class TpeSampler(int startupTrials = 10, int candidates = 24, double gamma = 0.15) : ISampler
{
    private readonly RandomSampler _startup = new();

    /// <inheritdoc/>
    public string Name => "tpe";
    /// <summary>Trials drawn at random before the estimators take over.</summary>
    public int StartupTrials { get; } = startupTrials;
    /// <summary>Values drawn from l(x) per parameter, of which the best by l/g is kept.</summary>
    public int Candidates { get; } = candidates;
    /// <summary>Fraction of the observed trials counted as good (at least one, at most 25, as Optuna caps it).</summary>
    public double Gamma { get; } = gamma;

    /// <inheritdoc/>
    public Dictionary<string, object> Sample(SearchSpace space, IReadOnlyList<Observation> observed, Random rng)
    {
        if (observed.Count < StartupTrials) return _startup.Sample(space, observed, rng);
        var values = new Dictionary<string, object>();
        foreach (var p in space.Parameters)
        {
            if (!SearchSpace.IsActive(p, values)) continue;
            var seen = observed.Where(o => o.Parameters.ContainsKey(p.Name)).OrderByDescending(o => o.Value).ToList();
            if (seen.Count < 2) { values[p.Name] = p.SampleUniform(rng); continue; }
            int good = Math.Clamp((int)Math.Ceiling(Gamma * seen.Count), 1, Math.Min(25, seen.Count - 1));
            var below = seen.Take(good).Select(o => o.Parameters[p.Name]).ToList();
            var above = seen.Skip(good).Select(o => o.Parameters[p.Name]).ToList();
            values[p.Name] = p switch
            {
                NumericParameter n => SampleNumeric(n, below, above, rng),
                CategoricalParameter c => SampleCategorical(c, below, above, rng),
                _ => p.SampleUniform(rng),
            };
        }
        return values;
    }

    private double SampleNumeric(NumericParameter p, List<object> below, List<object> above, Random rng)
    {
        var l = new ParzenEstimator(below.Select(v => p.ToAxis((double)v)), p.AxisLow, p.AxisHigh);
        var g = new ParzenEstimator(above.Select(v => p.ToAxis((double)v)), p.AxisLow, p.AxisHigh);
        double best = double.NaN, bestScore = double.NegativeInfinity;
        for (int i = 0; i < Candidates; i++)
        {
            double x = l.Sample(rng);
            double score = l.LogDensity(x) - g.LogDensity(x);
            if (score > bestScore) { bestScore = score; best = x; }
        }
        return p.FromAxis(best);
    }

    // Category frequencies smoothed by a prior of weight one spread evenly over the choices.
    private string SampleCategorical(CategoricalParameter p, List<object> below, List<object> above, Random rng)
    {
        double[] Frequencies(List<object> vs)
        {
            var f = p.Choices.Select(c => vs.Count(v => (string)v == c) + 1.0 / p.Choices.Count).ToArray();
            double sum = f.Sum();
            return f.Select(x => x / sum).ToArray();
        }
        var l = Frequencies(below); var g = Frequencies(above);
        int best = 0; double bestScore = double.NegativeInfinity;
        for (int i = 0; i < Candidates; i++)
        {
            double u = rng.NextDouble(), acc = 0; int k = 0;
            for (; k < l.Length - 1; k++) { acc += l[k]; if (u < acc) break; }
            double score = Math.Log(l[k]) - Math.Log(g[k]);
            if (score > bestScore) { bestScore = score; best = k; }
        }
        return p.Choices[best];
    }
}
