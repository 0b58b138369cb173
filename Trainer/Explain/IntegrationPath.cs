namespace OnnxKit.Explain;

/// <summary>The straight path of Integrated Gradients from the baseline x′ to the input x and its quadrature.</summary>
public static class IntegrationPath
{
    /// <summary>
    /// The trapezoid rule on [0, 1] with <paramref name="points"/> equally spaced points, both ends included:
    /// αₖ = k/(n−1), wₖ = 1/(n−1) except w₀ = wₙ₋₁ = 1/(2(n−1)) (Captum's <c>riemann_trapezoid</c>).
    /// </summary>
    public static (float[] Alphas, float[] Weights) Trapezoid(int points)
    {
        if (points < 2) throw new ArgumentException($"the trapezoid rule needs at least 2 points, got {points}");
        var alphas = new float[points];
        var weights = new float[points];
        for (int k = 0; k < points; k++)
        {
            alphas[k] = (float)k / (points - 1);
            weights[k] = 1f / (points - 1);
        }
        weights[0] /= 2;
        weights[^1] /= 2;
        return (alphas, weights);
    }

    /// <summary>x′ + α(x − x′).</summary>
    public static float[] Point(float[] baseline, float[] input, float alpha)
    {
        var p = new float[input.Length];
        for (int i = 0; i < p.Length; i++) p[i] = baseline[i] + alpha * (input[i] - baseline[i]);
        return p;
    }
}
