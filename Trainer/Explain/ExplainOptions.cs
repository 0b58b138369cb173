namespace OnnxKit.Explain;

/// <summary>An attribution method of <see cref="Explainer"/>.</summary>
public enum AttributionMethod
{
    /// <summary>Integrated Gradients (Sundararajan et al., 2017): (x − x′) · ∫₀¹ ∂y/∂x(x′ + α(x − x′)) dα, by a quadrature rule (<see cref="ExplainOptions.Rule"/>).</summary>
    IntegratedGradients,
    /// <summary>Vanilla gradient saliency: ∂y/∂x at the input.</summary>
    Saliency,
    /// <summary>SmoothGrad (Smilkov et al., 2017): the mean gradient over noisy copies of the input.</summary>
    SmoothGrad,
    /// <summary>Grad-CAM (Selvaraju et al., 2017): ReLU(Σₖ mean(∂y/∂Aₖ) · Aₖ) at a convolution's output, upsampled to the input.</summary>
    GradCam,
    /// <summary>Occlusion (Zeiler and Fergus, 2014): the drop of the output when a sliding window of the input is replaced by the baseline; no gradients.</summary>
    Occlusion,
}

/// <summary>What an <see cref="Explainer"/> call computes; every field has a usable default.</summary>
public sealed record ExplainOptions
{
    /// <summary>The method (default Integrated Gradients).</summary>
    public AttributionMethod Method { get; init; } = AttributionMethod.IntegratedGradients;
    /// <summary>Index into the model's (flattened) output to explain; null: the predicted class (the largest output).</summary>
    public int? Target { get; init; }
    /// <summary>Integrated Gradients: points of the path where the gradient is taken (the trapezoid rule: both ends included, so at least 2).</summary>
    public int Steps { get; init; } = 64;
    /// <summary>
    /// Integrated Gradients: the quadrature rule over the path (default Gauss–Legendre, as Captum). A rule that takes the
    /// gradient at the baseline itself (trapezoid, Riemann left) can meet a point where the model is not differentiable:
    /// a constant baseline makes every pooling window a tie, and the gradient there is not the one the path sees next to it.
    /// </summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.GaussLegendre;
    /// <summary>Integrated Gradients and occlusion: the reference input (default zeros).</summary>
    public Baseline Baseline { get; init; } = Baseline.Zeros;
    /// <summary>SmoothGrad: noisy samples.</summary>
    public int Samples { get; init; } = 32;
    /// <summary>SmoothGrad: noise standard deviation as a fraction of the input's range (max − min).</summary>
    public float NoiseLevel { get; init; } = 0.15f;
    /// <summary>SmoothGrad: seed of the noise.</summary>
    public int Seed { get; init; }
    /// <summary>
    /// SmoothGrad: standard-normal draws to use instead of drawing them from <see cref="Seed"/>, one array of the input's
    /// length per sample (their count replaces <see cref="Samples"/>); each is scaled by the noise standard deviation.
    /// For reproducing another implementation's noise, or the same noise across models.
    /// </summary>
    public IReadOnlyList<float[]>? Noise { get; init; }
    /// <summary>Grad-CAM: the node name or value name whose output is the feature map; null: the last <c>Conv</c>.</summary>
    public string? Layer { get; init; }
    /// <summary>Occlusion: side of the square window (spatial inputs) or length of the window (feature vectors); null: about a seventh of the side.</summary>
    public int? Window { get; init; }
    /// <summary>Occlusion: step between windows; null: half the window.</summary>
    public int? Stride { get; init; }
    /// <summary>Gradient methods: at most this many inputs per run of the generated graph (IG steps and SmoothGrad samples are batched).</summary>
    public int BatchSize { get; init; } = 64;
}

/// <summary>The reference input x′ of Integrated Gradients and the fill of occlusion.</summary>
public abstract record Baseline
{
    private Baseline() { }

    /// <summary>All zeros.</summary>
    public static Baseline Zeros { get; } = new ZerosBaseline();
    /// <summary>A constant tensor, typically the training set's per-feature mean (its length is the input's, or 1 for one value everywhere).</summary>
    public static Baseline Mean(float[] mean) => new TensorBaseline(mean, "mean");
    /// <summary>The input blurred by a Gaussian over its spatial axes (σ = a quarter of the shorter side unless given).</summary>
    public static Baseline Blur(float? sigma = null) => new BlurBaseline(sigma);
    /// <summary>A given tensor of the input's shape (without the batch axis).</summary>
    public static Baseline Tensor(float[] values) => new TensorBaseline(values, "tensor");

    /// <summary>The baseline for <paramref name="input"/>, laid out as <paramref name="layout"/>.</summary>
    internal abstract float[] For(float[] input, InputLayout layout);

    private sealed record ZerosBaseline : Baseline
    {
        internal override float[] For(float[] input, InputLayout layout) => new float[input.Length];
        public override string ToString() => "zeros";
    }

    private sealed record TensorBaseline(float[] Values, string Kind) : Baseline
    {
        internal override float[] For(float[] input, InputLayout layout)
        {
            if (Values.Length == 1) return Enumerable.Repeat(Values[0], input.Length).ToArray();
            if (Values.Length != input.Length)
                throw new ArgumentException($"the {Kind} baseline has {Values.Length} values, the model input has {input.Length} ({layout})");
            return (float[])Values.Clone();
        }
        public override string ToString() => Kind;
    }

    private sealed record BlurBaseline(float? Sigma) : Baseline
    {
        internal override float[] For(float[] input, InputLayout layout) => ImageMaths.GaussianBlur(input, layout, Sigma ?? Math.Min(layout.Height, layout.Width) / 4f);
        public override string ToString() => "blur";
    }
}
