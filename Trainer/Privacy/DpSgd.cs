using OnnxKit.IR;
using OnnxKit.Training.Data;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Training.Privacy;

/// <summary>
/// Differentially private training (DP-SGD, Abadi et al. 2016) around any optimizer: each example's gradient is
/// clipped to L2 norm <see cref="MaxGradNorm"/> C inside the training graph (<see cref="PerExampleGradients"/>), the
/// clipped gradients are summed, Gaussian noise of standard deviation σ·C is added (σ = <see cref="NoiseMultiplier"/>),
/// and the result is divided by the expected batch size before the wrapped optimizer's update. Together with Poisson
/// sampling of the batches (<see cref="PoissonSampler"/>) each step is the sampled Gaussian mechanism that
/// <see cref="RdpAccountant"/> accounts for.
/// <para>
/// The noise is generated on the host and fed as the train step's input <c>dp_noise</c> (all parameters' noise in one
/// float vector, standard normal; the graph scales it by σ·C). An ONNX RandomNormal node would keep the graph
/// self-contained, but its seed is an attribute: how a runtime advances its generator between runs is not specified,
/// and a session reopened from a checkpoint would replay the noise of the first steps — noise used twice is not the
/// mechanism the accountant assumes. Here step k's noise is a pure function of (<see cref="Seed"/>, k), so a run is
/// reproducible and a resumed run continues the same noise sequence. The generator (SplitMix64 with Box–Muller in
/// double precision) is not a cryptographic one; it does not defend against an adversary who can observe or predict
/// the generator state (Opacus' "secure mode" addresses that with a CSPRNG).
/// </para>
/// <para>
/// The loss must be the batch mean of per-example losses (every loss here with its default reduction). Layers must not
/// mix examples: BatchNorm in training is refused (use LayerNorm or GroupNorm).
/// </para>
/// </summary>
public sealed class DpSgd : Optimizer
{
    /// <summary>Name of the train step's noise input.</summary>
    public const string NoiseInputName = "dp_noise";

    /// <summary>Wraps <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The update applied to the private gradient (SGD, Adam, …); must not clip gradients itself.</param>
    /// <param name="noiseMultiplier">σ: noise standard deviation in units of the clipping norm.</param>
    /// <param name="maxGradNorm">C: per-example gradient L2 norm bound.</param>
    /// <param name="expectedBatchSize">q·N, the expected size of a Poisson-sampled batch (the divisor of the noisy sum).</param>
    /// <param name="seed">Seed of the noise.</param>
    public DpSgd(Optimizer optimizer, double noiseMultiplier, double maxGradNorm, int expectedBatchSize, ulong seed = 0) : base(optimizer.LearningRate)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer is DpSgd) throw new ArgumentException("the optimizer is already private (DpSgd inside DpSgd)", nameof(optimizer));
        if (optimizer.ClipGradNorm is not null || optimizer.ClipGradValue is not null)
            throw new ArgumentException($"optimizer '{optimizer.Name}' clips the batch gradient (ClipGradNorm/ClipGradValue); DP-SGD clips each example's gradient instead — remove that setting", nameof(optimizer));
        if (!(noiseMultiplier >= 0) || double.IsInfinity(noiseMultiplier)) throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be finite and non-negative");
        if (!(maxGradNorm > 0) || double.IsInfinity(maxGradNorm)) throw new ArgumentOutOfRangeException(nameof(maxGradNorm), maxGradNorm, "the clipping norm must be positive and finite");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expectedBatchSize);
        Inner = optimizer; NoiseMultiplier = noiseMultiplier; MaxGradNorm = maxGradNorm; ExpectedBatchSize = expectedBatchSize; Seed = seed;
    }

    /// <summary>The wrapped optimizer.</summary>
    public Optimizer Inner { get; }
    /// <summary>σ.</summary>
    public double NoiseMultiplier { get; }
    /// <summary>C.</summary>
    public double MaxGradNorm { get; }
    /// <summary>The divisor of the noisy sum.</summary>
    public int ExpectedBatchSize { get; }
    /// <summary>Seed of the noise.</summary>
    public ulong Seed { get; }

    /// <inheritdoc/>
    public override string Name => "dp-" + Inner.Name;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> Slots => Inner.Slots;
    /// <inheritdoc/>
    public override IReadOnlyList<SlotSpec> SharedSlots => Inner.SharedSlots;
    /// <inheritdoc/>
    protected override IReadOnlyDictionary<string, Value> StepScalars(StepScalarScope step) => Inner.StepScalarsOf(step);
    /// <inheritdoc/>
    public override ParamUpdate Update(GraphBuilder g, Value param, Value grad, IReadOnlyList<Value> state, IReadOnlyDictionary<string, Value> scalars) =>
        Inner.Update(g, param, grad, state, scalars);

    internal override bool ReadsForwardLayers => true;

    /// <summary>(Σᵢ clip(gᵢ) + σ·C·ξ) / expected batch size, ξ ~ N(0, I) read from <see cref="NoiseInputName"/>.</summary>
    public override IReadOnlyDictionary<string, Value> TrainingGradients(GraphBuilder g, Value loss, IReadOnlyList<string> parameters,
        IReadOnlyDictionary<string, Value> batchGradients)
    {
        var sums = PerExampleGradients.Build(g, loss, parameters, MaxGradNorm).ClippedSums;
        long total = parameters.Sum(p => g[p].Shape!.ToArray().Aggregate(1L, (a, d) => a * d));
        var noise = g.Input(NoiseInputName, ElementType.Float32, total);
        g.Graph.Inputs.Single(i => i.Name == NoiseInputName).DocString =
            "DP-SGD: standard normal noise N(0, 1), fresh for every step, for all trained parameters in the order of the manifest's state";
        using var scope = g.Scope("dp");
        using var noiseScope = g.Scope("noise");
        var result = new Dictionary<string, Value>();
        long offset = 0;
        foreach (var p in parameters)
        {
            long[] shape = g[p].Shape!.ToArray();
            long size = shape.Aggregate(1L, (a, d) => a * d);
            var xi = Op.Reshape(Op.Slice(noise, [offset], [offset + size]), shape);
            offset += size;
            result[p] = (sums[p] + xi * (NoiseMultiplier * MaxGradNorm)) * (1.0 / ExpectedBatchSize);
        }
        return result;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<HostStepInput> HostInputs => [new(NoiseInputName, FillNoise)];

    /// <summary>Writes step <paramref name="step"/>'s standard normal noise (a function of the seed and the step only).</summary>
    public void FillNoise(long step, Span<float> values)
    {
        var rng = new SeededRandom(SeededRandom.Derive(Seed, (ulong)step));
        // Box–Muller gives two independent normals per pair of uniforms; both are used.
        for (int i = 0; i < values.Length; i += 2)
        {
            double r = Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())), angle = 2.0 * Math.PI * rng.NextDouble();
            values[i] = (float)(r * Math.Cos(angle));
            if (i + 1 < values.Length) values[i + 1] = (float)(r * Math.Sin(angle));
        }
    }
}
