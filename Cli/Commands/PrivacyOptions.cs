using System.CommandLine;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Privacy;

namespace OnnxKit.Cli.Commands;

/// <summary>What <c>train --dp-…</c> asked for: a target ε (σ solved) or a noise multiplier (ε reported), with δ and C.</summary>
internal sealed record PrivacyRequest(double? Epsilon, double Delta, double Clip, double? Noise);

/// <summary>The <c>--dp-epsilon</c>, <c>--dp-delta</c>, <c>--dp-clip</c> and <c>--dp-noise</c> options of <c>train</c>.</summary>
internal sealed class PrivacyOptions
{
    private readonly Option<double?> _epsilon = new("--dp-epsilon") { Description = "train with DP-SGD within this ε (the noise multiplier is solved for the planned steps)" };
    private readonly Option<double> _delta = new("--dp-delta") { Description = "δ of the (ε, δ) guarantee", DefaultValueFactory = _ => 1e-5 };
    private readonly Option<double> _clip = new("--dp-clip") { Description = "per-example gradient L2 norm bound C", DefaultValueFactory = _ => 1.0 };
    private readonly Option<double?> _noise = new("--dp-noise") { Description = "DP-SGD noise multiplier σ (ε is then reported; with --dp-epsilon it must stay within it)" };

    public void AddTo(Command command)
    {
        command.Options.Add(_epsilon); command.Options.Add(_delta); command.Options.Add(_clip); command.Options.Add(_noise);
    }

    /// <summary>The request, or null for ordinary training.</summary>
    public PrivacyRequest? Read(ParseResult pr) => pr.GetValue(_epsilon) is null && pr.GetValue(_noise) is null ? null
        : new PrivacyRequest(pr.GetValue(_epsilon), pr.GetValue(_delta), pr.GetValue(_clip), pr.GetValue(_noise));

    /// <summary>
    /// The DP-SGD plan for <paramref name="samples"/> training samples in batches of expected size <paramref name="batchSize"/>
    /// (Poisson rate q = batch / N) over <paramref name="epochs"/> epochs of <paramref name="stepsPerEpoch"/> steps.
    /// </summary>
    public static PrivacyBudget Plan(PrivacyRequest r, int samples, int batchSize, int epochs, int stepsPerEpoch)
    {
        if (r.Epsilon is double e && !(e > 0 && double.IsFinite(e))) throw new CliException($"--dp-epsilon must be a positive number, got {e}");
        if (!(r.Delta > 0 && r.Delta < 1)) throw new CliException($"--dp-delta must lie in (0, 1), got {r.Delta}");
        if (!(r.Clip > 0 && double.IsFinite(r.Clip))) throw new CliException($"--dp-clip must be a positive number, got {r.Clip}");
        if (r.Noise is double s && !(s > 0 && double.IsFinite(s))) throw new CliException($"--dp-noise must be a positive number, got {s}");
        if (batchSize >= samples) throw new CliException($"DP-SGD samples batches from the data: --batch-size ({batchSize}) must be smaller than the {samples} training samples");
        double q = (double)batchSize / samples;
        PrivacyBudget plan;
        try
        {
            plan = r.Noise is double sigma ? new PrivacyBudget(q, sigma, r.Clip, r.Delta, stepsPerEpoch)
                : PrivacyBudget.ForTarget(r.Epsilon!.Value, q, r.Clip, r.Delta, stepsPerEpoch, epochs);
        }
        catch (ArgumentException ex) { throw new CliException(ex.Message); }
        double spent = plan.EpsilonAfter((long)epochs * stepsPerEpoch);
        if (r.Epsilon is double target && spent > target)
            throw new CliException($"--dp-noise {plan.NoiseMultiplier} spends ε = {spent:G4} over {epochs} epochs at δ = {r.Delta}, more than --dp-epsilon {target}; raise the noise or train fewer epochs");
        return plan;
    }

    /// <summary>The optimizer wrapped for DP-SGD under <paramref name="plan"/>.</summary>
    public static Optimizer Wrap(Optimizer optimizer, PrivacyBudget plan, int batchSize, int seed) =>
        new DpSgd(optimizer, plan.NoiseMultiplier, plan.MaxGradNorm, batchSize, (ulong)seed);
}
