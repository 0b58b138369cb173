using System.Text.Json.Serialization;

namespace OnnxKit.Training.Schedules;

/// <summary><c>StepLR</c>: lr = base · γ^⌊t / step_size⌋.</summary>
public sealed record StepLR : PureSchedule
{
    /// <summary>Creates the schedule (PyTorch's arguments; per epoch by default).</summary>
    [JsonConstructor]
    public StepLR(double baseLr, int stepSize, double gamma = 0.1, ScheduleUnit unit = ScheduleUnit.Epoch) : base(unit)
    {
        BaseLr = ScheduleChecks.Positive(baseLr, "base_lr");
        StepSize = ScheduleChecks.PositiveInt(stepSize, "step_size");
        Gamma = ScheduleChecks.Positive(gamma, "gamma");
    }

    /// <summary>The initial learning rate.</summary>
    public double BaseLr { get; }
    /// <summary>Advances between decays.</summary>
    public int StepSize { get; }
    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double At(long t) => BaseLr * Math.Pow(Gamma, t / StepSize);
}

/// <summary><c>MultiStepLR</c>: lr = base · γ^(number of milestones ≤ t); a milestone listed twice decays twice, as in PyTorch.</summary>
public sealed record MultiStepLR : PureSchedule
{
    /// <summary>Creates the schedule (PyTorch's arguments; per epoch by default).</summary>
    [JsonConstructor]
    public MultiStepLR(double baseLr, IReadOnlyList<int> milestones, double gamma = 0.1, ScheduleUnit unit = ScheduleUnit.Epoch) : base(unit)
    {
        BaseLr = ScheduleChecks.Positive(baseLr, "base_lr");
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Any(m => m < 0)) throw new ArgumentOutOfRangeException(nameof(milestones), $"milestones must be >= 0, got [{string.Join(", ", milestones)}]");
        Milestones = milestones.Order().ToArray();
        Gamma = ScheduleChecks.Positive(gamma, "gamma");
    }

    /// <summary>The initial learning rate.</summary>
    public double BaseLr { get; }
    /// <summary>The indices at which the rate decays (sorted).</summary>
    public IReadOnlyList<int> Milestones { get; }
    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double At(long t) => BaseLr * Math.Pow(Gamma, Milestones.Count(m => m <= t));

    /// <inheritdoc/>
    public bool Equals(MultiStepLR? other) => other is not null && base.Equals(other) && BaseLr == other.BaseLr && Gamma == other.Gamma && Milestones.SequenceEqual(other.Milestones);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BaseLr, Gamma, Milestones.Count, Unit);
}

/// <summary><c>ExponentialLR</c>: lr = base · γ^t.</summary>
public sealed record ExponentialLR : PureSchedule
{
    /// <summary>Creates the schedule (per epoch by default).</summary>
    [JsonConstructor]
    public ExponentialLR(double baseLr, double gamma, ScheduleUnit unit = ScheduleUnit.Epoch) : base(unit)
    {
        BaseLr = ScheduleChecks.Positive(baseLr, "base_lr");
        Gamma = ScheduleChecks.Positive(gamma, "gamma");
    }

    /// <summary>The initial learning rate.</summary>
    public double BaseLr { get; }
    /// <summary>Decay factor per advance.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double At(long t) => BaseLr * Math.Pow(Gamma, t);
}

/// <summary>
/// <c>CosineAnnealingLR</c>: lr = η_min + (base − η_min)·(1 + cos(π·t / T_max)) / 2, which past T_max rises again
/// (period 2·T_max) exactly as PyTorch's recursive form does.
/// </summary>
public sealed record CosineAnnealingLR : PureSchedule
{
    /// <summary>Creates the schedule (per epoch by default).</summary>
    [JsonConstructor]
    public CosineAnnealingLR(double baseLr, int tMax, double etaMin = 0, ScheduleUnit unit = ScheduleUnit.Epoch) : base(unit)
    {
        BaseLr = ScheduleChecks.Positive(baseLr, "base_lr");
        TMax = ScheduleChecks.PositiveInt(tMax, "T_max");
        EtaMin = ScheduleChecks.NonNegative(etaMin, "eta_min");
    }

    /// <summary>The initial (maximum) learning rate.</summary>
    public double BaseLr { get; }
    /// <summary>Half period in advances.</summary>
    public int TMax { get; }
    /// <summary>Minimum learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double At(long t) => EtaMin + (BaseLr - EtaMin) * (1 + Math.Cos(Math.PI * t / TMax)) / 2;
}

/// <summary>
/// <c>CosineAnnealingWarmRestarts</c> (SGDR): cosine annealing from base to η_min over T_i advances, then a restart with
/// T_{i+1} = T_i · T_mult.
/// </summary>
public sealed record CosineAnnealingWarmRestarts : PureSchedule
{
    /// <summary>Creates the schedule (per epoch by default).</summary>
    [JsonConstructor]
    public CosineAnnealingWarmRestarts(double baseLr, int t0, int tMult = 1, double etaMin = 0, ScheduleUnit unit = ScheduleUnit.Epoch) : base(unit)
    {
        BaseLr = ScheduleChecks.Positive(baseLr, "base_lr");
        T0 = ScheduleChecks.PositiveInt(t0, "T_0");
        TMult = ScheduleChecks.PositiveInt(tMult, "T_mult");
        EtaMin = ScheduleChecks.NonNegative(etaMin, "eta_min");
    }

    /// <summary>The initial (maximum) learning rate.</summary>
    public double BaseLr { get; }
    /// <summary>Length of the first period.</summary>
    public int T0 { get; }
    /// <summary>Growth of the period after each restart.</summary>
    public int TMult { get; }
    /// <summary>Minimum learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double At(long t)
    {
        // Walk the periods with integers, as PyTorch's step() does, so restarts fall exactly where its do.
        long tCur = t, tI = T0;
        if (TMult == 1) tCur = t % T0;
        else while (tCur >= tI) { tCur -= tI; tI *= TMult; }
        return EtaMin + (BaseLr - EtaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2;
    }
}

/// <summary>How <see cref="OneCycleLR"/> interpolates within a phase.</summary>
public enum AnnealStrategy
{
    /// <summary>Cosine interpolation (PyTorch's default).</summary>
    Cos,
    /// <summary>Linear interpolation.</summary>
    Linear,
}

/// <summary>
/// <c>OneCycleLR</c> (learning rate only; PyTorch also cycles the momentum, which here is a fixed graph constant): from
/// max_lr / div_factor up to max_lr over pct_start of the steps, then down to initial / final_div_factor (three-phase:
/// up, back down to the initial rate, then the final annihilation). Per optimizer step by default; the base lr is ignored.
/// </summary>
public sealed record OneCycleLR : PureSchedule
{
    /// <summary>Creates the schedule with PyTorch's defaults.</summary>
    [JsonConstructor]
    public OneCycleLR(double maxLr, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false, ScheduleUnit unit = ScheduleUnit.Step) : base(unit)
    {
        MaxLr = ScheduleChecks.Positive(maxLr, "max_lr");
        TotalSteps = ScheduleChecks.PositiveInt(totalSteps, "total_steps");
        PctStart = pctStart >= 0 && pctStart <= 1 ? pctStart : throw new ArgumentOutOfRangeException("pct_start", pctStart, "pct_start must be in [0, 1]");
        AnnealStrategy = annealStrategy;
        DivFactor = ScheduleChecks.Positive(divFactor, "div_factor");
        FinalDivFactor = ScheduleChecks.Positive(finalDivFactor, "final_div_factor");
        ThreePhase = threePhase;
    }

    /// <summary>The peak learning rate.</summary>
    public double MaxLr { get; }
    /// <summary>Length of the cycle.</summary>
    public int TotalSteps { get; }
    /// <summary>Fraction of the cycle spent rising.</summary>
    public double PctStart { get; }
    /// <summary>Interpolation within a phase.</summary>
    public AnnealStrategy AnnealStrategy { get; }
    /// <summary>initial lr = max_lr / div_factor.</summary>
    public double DivFactor { get; }
    /// <summary>minimum lr = initial lr / final_div_factor.</summary>
    public double FinalDivFactor { get; }
    /// <summary>Uses the three-phase variant.</summary>
    public bool ThreePhase { get; }

    /// <inheritdoc/>
    protected override double At(long t)
    {
        if (t > TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"OneCycleLR was configured for total_steps = {TotalSteps}; it cannot go past that");
        double initial = MaxLr / DivFactor, min = initial / FinalDivFactor;
        (double End, double From, double To)[] phases = ThreePhase
            ? [(PctStart * TotalSteps - 1, initial, MaxLr), (2 * PctStart * TotalSteps - 2, MaxLr, initial), (TotalSteps - 1, initial, min)]
            : [(PctStart * TotalSteps - 1, initial, MaxLr), (TotalSteps - 1, MaxLr, min)];
        double start = 0;
        for (int i = 0; i < phases.Length; i++)
        {
            var (end, from, to) = phases[i];
            if (t <= end || i == phases.Length - 1)
            {
                double pct = (t - start) / (end - start);
                return AnnealStrategy == AnnealStrategy.Cos ? to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1) : (to - from) * pct + from;
            }
            start = end;
        }
        throw new InvalidOperationException("unreachable");
    }
}
