namespace OnnxKit.Training.Schedules;

/// <summary>
/// Linear warm-up over another schedule: lr = inner(t) · f(t), f rising linearly from <see cref="StartFactor"/> at t = 0
/// to 1 at t = <see cref="WarmupSteps"/> and staying 1. This is PyTorch's
/// <c>ChainedScheduler([LinearLR(start_factor, total_iters=warmup), inner])</c>; it counts in the inner schedule's unit.
/// </summary>
public sealed class LinearWarmup : ILearningRateSchedule
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The schedule being warmed up.</param>
    /// <param name="warmupSteps">Advances (of the inner schedule's unit) until the full rate.</param>
    /// <param name="startFactor">Fraction of the rate at t = 0, in (0, 1]; PyTorch's LinearLR default is 1/3.</param>
    public LinearWarmup(ILearningRateSchedule inner, int warmupSteps, double startFactor = 1.0 / 3)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        WarmupSteps = ScheduleChecks.PositiveInt(warmupSteps, "warmup_steps");
        StartFactor = startFactor > 0 && startFactor <= 1 ? startFactor
            : throw new ArgumentOutOfRangeException("start_factor", startFactor, "start_factor must be in (0, 1]");
    }

    /// <summary>The warmed-up schedule.</summary>
    public ILearningRateSchedule Inner { get; }
    /// <summary>Length of the warm-up.</summary>
    public int WarmupSteps { get; }
    /// <summary>Fraction of the rate at the start.</summary>
    public double StartFactor { get; }

    /// <inheritdoc/>
    public ScheduleUnit Unit => Inner.Unit;

    /// <inheritdoc/>
    public double LearningRate(long step, int epoch)
    {
        long t = ScheduleChecks.Index(Unit, step, epoch);
        double factor = StartFactor + (1 - StartFactor) * Math.Min(t, WarmupSteps) / WarmupSteps;
        return Inner.LearningRate(step, epoch) * factor;
    }

    /// <inheritdoc/>
    public ScheduleState State => new LinearWarmupState(Inner.State, WarmupSteps, StartFactor);
}

/// <summary>The state of a <see cref="LinearWarmup"/>: the inner schedule's state and the warm-up settings.</summary>
/// <param name="Inner">The inner schedule's state.</param>
/// <param name="WarmupSteps">Length of the warm-up.</param>
/// <param name="StartFactor">Fraction of the rate at the start.</param>
public sealed record LinearWarmupState(ScheduleState Inner, int WarmupSteps, double StartFactor) : ScheduleState
{
    /// <inheritdoc/>
    public override ILearningRateSchedule Restore() => new LinearWarmup(Inner.Restore(), WarmupSteps, StartFactor);
}
