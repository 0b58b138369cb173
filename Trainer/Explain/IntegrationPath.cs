using MathNet.Numerics.Integration;

namespace OnnxKit.Explain;

/// <summary>A quadrature rule for the path integral of Integrated Gradients; Captum's names are <c>riemann_*</c> and <c>gausslegendre</c>.</summary>
public enum IntegrationRule
{
    /// <summary>n equally spaced points with both ends, αₖ = k/(n−1), weights 1/(n−1) halved at the two ends (n ≥ 2).</summary>
    Trapezoid,
    /// <summary>αₖ = k/n, weights 1/n: the baseline, never the input.</summary>
    RiemannLeft,
    /// <summary>αₖ = (k+1)/n, weights 1/n: the input, never the baseline.</summary>
    RiemannRight,
    /// <summary>αₖ = (k+½)/n, weights 1/n: the midpoints of n equal intervals, neither end.</summary>
    RiemannMiddle,
    /// <summary>The n-point Gauss–Legendre rule mapped to [0, 1]: neither end, exact for polynomials of degree 2n−1.</summary>
    GaussLegendre,
}

/// <summary>The straight path of Integrated Gradients from the baseline x′ to the input x and its quadrature.</summary>
public static class IntegrationPath
{
    /// <summary>The fewest points <paramref name="rule"/> takes: 2 for the trapezoid (the path's two ends), else 1.</summary>
    public static int MinimumPoints(IntegrationRule rule) => rule == IntegrationRule.Trapezoid ? 2 : 1;

    /// <summary>
    /// The positions αₖ on [0, 1] and the weights wₖ of <paramref name="rule"/> with <paramref name="points"/> points, so that
    /// ∫₀¹ f(α) dα ≈ Σₖ wₖ f(αₖ); the weights sum to 1.
    /// </summary>
    /// <remarks>
    /// Captum's <c>riemann_trapezoid</c> takes the same positions with weights 1/n (halved at the ends), which sum to
    /// (n−1)/n and so shrink every attribution by 1/n; here the weights are the trapezoid rule's own, 1/(n−1).
    /// </remarks>
    /// <exception cref="ArgumentException">Fewer points than <see cref="MinimumPoints"/>.</exception>
    public static (double[] Alphas, double[] Weights) Quadrature(IntegrationRule rule, int points)
    {
        if (points < MinimumPoints(rule))
            throw new ArgumentException(rule == IntegrationRule.Trapezoid
                ? $"Integrated Gradients with the trapezoid rule needs at least 2 steps (the path's two ends), got {points}"
                : $"Integrated Gradients needs at least 1 step, got {points}");
        var alphas = new double[points];
        var weights = new double[points];
        if (rule == IntegrationRule.GaussLegendre)
        {
            var gauss = new GaussLegendreRule(0, 1, points);
            // Ascending positions, as the other rules give them.
            var order = Enumerable.Range(0, points).OrderBy(k => gauss.Abscissas[k]).ToArray();
            for (int k = 0; k < points; k++) (alphas[k], weights[k]) = (gauss.Abscissas[order[k]], gauss.Weights[order[k]]);
            return (alphas, weights);
        }
        for (int k = 0; k < points; k++)
        {
            (alphas[k], weights[k]) = rule switch
            {
                IntegrationRule.Trapezoid => ((double)k / (points - 1), 1.0 / (points - 1)),
                IntegrationRule.RiemannLeft => ((double)k / points, 1.0 / points),
                IntegrationRule.RiemannRight => ((double)(k + 1) / points, 1.0 / points),
                IntegrationRule.RiemannMiddle => ((k + 0.5) / points, 1.0 / points),
                _ => throw new ArgumentException($"unknown integration rule {rule}"),
            };
        }
        if (rule == IntegrationRule.Trapezoid) { weights[0] /= 2; weights[^1] /= 2; }
        return (alphas, weights);
    }

    /// <summary>(1 − α)·x′ + α·x: the baseline itself at α = 0 and the input itself at α = 1, whatever the rounding.</summary>
    public static float[] Point(float[] baseline, float[] input, double alpha)
    {
        var p = new float[input.Length];
        for (int i = 0; i < p.Length; i++) p[i] = (float)((1 - alpha) * baseline[i] + alpha * input[i]);
        return p;
    }

    /// <summary>The rule's name on the command line and in the server's parameters (<c>trapezoid</c>, <c>riemann-left</c>, …).</summary>
    public static string RuleName(IntegrationRule rule) => rule switch
    {
        IntegrationRule.Trapezoid => "trapezoid",
        IntegrationRule.RiemannLeft => "riemann-left",
        IntegrationRule.RiemannRight => "riemann-right",
        IntegrationRule.RiemannMiddle => "riemann-middle",
        IntegrationRule.GaussLegendre => "gauss-legendre",
        _ => rule.ToString(),
    };

    /// <summary>Reads a name given by <see cref="RuleName"/>.</summary>
    /// <exception cref="ArgumentException">Not one of the names.</exception>
    public static IntegrationRule ParseRule(string name) =>
        Enum.GetValues<IntegrationRule>().Cast<IntegrationRule?>().FirstOrDefault(r => RuleName(r!.Value) == name)
        ?? throw new ArgumentException($"unknown integration rule '{name}': expected one of {string.Join(", ", Enum.GetValues<IntegrationRule>().Select(RuleName))}");
}
