using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Fit;

namespace OnnxKit.Training.Privacy;

/// <summary>
/// The privacy plan of a DP-SGD run and its accounting: sampling rate q, noise multiplier σ, clipping norm C, δ and the
/// steps per epoch; <see cref="EpsilonAfter"/> gives the ε spent after any number of steps. As a callback it writes the
/// ε spent after each epoch into the epoch's record (<c>epsilon</c>). Every planned step counts, including a sampled
/// batch that happened to be empty (the mechanism ran; nothing is gained by leaving it out).
/// </summary>
public sealed class PrivacyBudget : Callback
{
    /// <summary>Creates the plan.</summary>
    public PrivacyBudget(double sampleRate, double noiseMultiplier, double maxGradNorm, double delta, int stepsPerEpoch,
        RdpConversion conversion = RdpConversion.Balle2020)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerEpoch);
        SampleRate = sampleRate; NoiseMultiplier = noiseMultiplier; MaxGradNorm = maxGradNorm; Delta = delta; StepsPerEpoch = stepsPerEpoch; Conversion = conversion;
        RdpAccountant.Epsilon(sampleRate, noiseMultiplier, 0, delta, conversion); // validates the arguments
    }

    /// <summary>
    /// The plan that spends at most <paramref name="targetEpsilon"/> in <paramref name="epochs"/> epochs: σ solved by
    /// <see cref="RdpAccountant.NoiseMultiplierFor"/>.
    /// </summary>
    public static PrivacyBudget ForTarget(double targetEpsilon, double sampleRate, double maxGradNorm, double delta, int stepsPerEpoch, int epochs) =>
        new(sampleRate, RdpAccountant.NoiseMultiplierFor(targetEpsilon, sampleRate, (long)stepsPerEpoch * epochs, delta), maxGradNorm, delta, stepsPerEpoch);

    /// <summary>q.</summary>
    public double SampleRate { get; }
    /// <summary>σ.</summary>
    public double NoiseMultiplier { get; }
    /// <summary>C.</summary>
    public double MaxGradNorm { get; }
    /// <summary>δ.</summary>
    public double Delta { get; }
    /// <summary>Planned steps per epoch; ε after an epoch counts this many steps each.</summary>
    public int StepsPerEpoch { get; }
    /// <summary>The RDP → (ε, δ) conversion.</summary>
    public RdpConversion Conversion { get; }

    /// <summary>The accountant as named in reports.</summary>
    public string Accountant => Conversion == RdpConversion.Balle2020
        ? "rdp (sampled Gaussian, Mironov et al. 2019; conversion Balle et al. 2020)"
        : "rdp (sampled Gaussian, Mironov et al. 2019; conversion Mironov 2017)";

    /// <summary>ε spent after <paramref name="steps"/> steps.</summary>
    public double EpsilonAfter(long steps) => RdpAccountant.Epsilon(SampleRate, NoiseMultiplier, steps, Delta, Conversion).Epsilon;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext ctx, EpochRecord record) =>
        record.Values["epsilon"] = EpsilonAfter((long)record.Epoch * StepsPerEpoch);

    /// <summary>The <c>privacy</c> object of metrics.json after <paramref name="epochs"/> epochs.</summary>
    public Dictionary<string, object> Summary(int epochs) => new()
    {
        ["epsilon"] = EpsilonAfter((long)epochs * StepsPerEpoch), ["delta"] = Delta, ["noise_multiplier"] = NoiseMultiplier,
        ["max_grad_norm"] = MaxGradNorm, ["sample_rate"] = SampleRate, ["steps"] = (long)epochs * StepsPerEpoch, ["accountant"] = Accountant,
    };
}
