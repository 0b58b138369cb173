namespace OnnxKit.Training.Schedules;

/// <summary>Whether a lower or a higher metric is better.</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss).</summary>
    Min,
    /// <summary>Higher is better (an accuracy).</summary>
    Max,
}

/// <summary>How the improvement threshold is measured.</summary>
public enum ThresholdMode
{
    /// <summary>Relative: better than best · (1 ∓ threshold).</summary>
    Rel,
    /// <summary>Absolute: better than best ∓ threshold.</summary>
    Abs,
}

/// <summary>
/// <c>ReduceLROnPlateau</c>: the rate is multiplied by <c>factor</c> when the reported metric has not improved for more
/// than <c>patience</c> reports, then held for <c>cooldown</c> reports; never below <c>min_lr</c>. Report the metric once
/// per epoch with <see cref="Report"/>; <see cref="LearningRate"/> returns the current rate.
/// </summary>
public sealed class ReduceLROnPlateau : ILearningRateSchedule
{
    private PlateauState _state;

    /// <summary>Creates the schedule with PyTorch's defaults.</summary>
    public ReduceLROnPlateau(double baseLr, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10, double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(new PlateauState(ScheduleChecks.Positive(baseLr, "base_lr"), mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps,
            Lr: baseLr, Best: mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity, NumBadEpochs: 0, CooldownCounter: 0, Reports: 0))
    { }

    /// <summary>Resumes from a saved state.</summary>
    public ReduceLROnPlateau(PlateauState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ScheduleChecks.Factor(state.Factor, "factor");
        if (state.Patience < 0) throw new ArgumentOutOfRangeException("patience", state.Patience, "patience must be >= 0");
        if (state.Cooldown < 0) throw new ArgumentOutOfRangeException("cooldown", state.Cooldown, "cooldown must be >= 0");
        ScheduleChecks.NonNegative(state.Threshold, "threshold");
        ScheduleChecks.NonNegative(state.MinLr, "min_lr");
        ScheduleChecks.NonNegative(state.Eps, "eps");
        ScheduleChecks.Positive(state.Lr, "lr");
        _state = state;
    }

    /// <inheritdoc/>
    public ScheduleUnit Unit => ScheduleUnit.Epoch;

    /// <summary>The current learning rate (changed only by <see cref="Report"/>).</summary>
    public double CurrentLearningRate => _state.Lr;

    /// <inheritdoc/>
    public double LearningRate(long step, int epoch) => _state.Lr;

    /// <inheritdoc/>
    public ScheduleState State => _state;

    /// <summary>Reports the epoch's metric (PyTorch's <c>scheduler.step(metric)</c>); returns the learning rate from now on.</summary>
    public double Report(double metric)
    {
        if (double.IsNaN(metric)) throw new ArgumentException("the reported metric is NaN", nameof(metric));
        var s = _state;
        double best = s.Best;
        int bad = s.NumBadEpochs, cooldown = s.CooldownCounter;
        double lr = s.Lr;
        if (IsBetter(s, metric, best)) { best = metric; bad = 0; }
        else bad++;
        if (cooldown > 0) { cooldown--; bad = 0; }
        if (bad > s.Patience)
        {
            double reduced = Math.Max(lr * s.Factor, s.MinLr);
            if (lr - reduced > s.Eps) lr = reduced;
            cooldown = s.Cooldown;
            bad = 0;
        }
        _state = s with { Lr = lr, Best = best, NumBadEpochs = bad, CooldownCounter = cooldown, Reports = s.Reports + 1 };
        return lr;
    }

    private static bool IsBetter(PlateauState s, double a, double best) => (s.Mode, s.ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => a < best * (1 - s.Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => a < best - s.Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => a > best * (s.Threshold + 1),
        _ => a > best + s.Threshold,
    };
}

/// <summary>The configuration and progress of a <see cref="ReduceLROnPlateau"/>.</summary>
/// <param name="BaseLr">The initial learning rate.</param>
/// <param name="Mode">Whether lower or higher is better.</param>
/// <param name="Factor">Multiplier on a plateau, in (0, 1).</param>
/// <param name="Patience">Reports without improvement tolerated.</param>
/// <param name="Threshold">Minimum improvement.</param>
/// <param name="ThresholdMode">Relative or absolute threshold.</param>
/// <param name="Cooldown">Reports to wait after a reduction.</param>
/// <param name="MinLr">Lower bound of the rate.</param>
/// <param name="Eps">Reductions smaller than this are skipped.</param>
/// <param name="Lr">The current rate.</param>
/// <param name="Best">The best metric so far.</param>
/// <param name="NumBadEpochs">Reports since the last improvement.</param>
/// <param name="CooldownCounter">Reports of cooldown left.</param>
/// <param name="Reports">Number of reports so far.</param>
public sealed record PlateauState(double BaseLr, PlateauMode Mode, double Factor, int Patience, double Threshold, ThresholdMode ThresholdMode,
    int Cooldown, double MinLr, double Eps, double Lr, double Best, int NumBadEpochs, int CooldownCounter, long Reports) : ScheduleState
{
    /// <inheritdoc/>
    public override ILearningRateSchedule Restore() => new ReduceLROnPlateau(this);
}
