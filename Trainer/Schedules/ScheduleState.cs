using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxKit.Training.Schedules;

/// <summary>
/// The serialisable state of a schedule: its configuration plus, for stateful schedules, its progress. Stored with a
/// checkpoint (<see cref="ToJson"/>), it lets a resumed run continue the schedule exactly (<see cref="FromJson"/>, <see cref="Restore"/>).
/// Stateless schedules are themselves their state.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(StepLR), "step_lr")]
[JsonDerivedType(typeof(MultiStepLR), "multi_step_lr")]
[JsonDerivedType(typeof(ExponentialLR), "exponential_lr")]
[JsonDerivedType(typeof(CosineAnnealingLR), "cosine_annealing_lr")]
[JsonDerivedType(typeof(CosineAnnealingWarmRestarts), "cosine_annealing_warm_restarts")]
[JsonDerivedType(typeof(OneCycleLR), "one_cycle_lr")]
[JsonDerivedType(typeof(LinearWarmupState), "linear_warmup")]
[JsonDerivedType(typeof(PlateauState), "reduce_lr_on_plateau")]
public abstract record ScheduleState
{
    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Rebuilds the schedule this state describes.</summary>
    public abstract ILearningRateSchedule Restore();

    /// <summary>The state as JSON (with a <c>kind</c> discriminator).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads a state written by <see cref="ToJson"/>.</summary>
    public static ScheduleState FromJson(string json) =>
        JsonSerializer.Deserialize<ScheduleState>(json, Options) ?? throw new ArgumentException("schedule state JSON is null", nameof(json));
}

/// <summary>Base of the schedules that are a pure function of the step or epoch index: the schedule is its own state.</summary>
public abstract record PureSchedule : ScheduleState, ILearningRateSchedule
{
    /// <summary>Stores the unit.</summary>
    protected PureSchedule(ScheduleUnit unit) { Unit = unit; }

    /// <inheritdoc/>
    public ScheduleUnit Unit { get; }

    /// <inheritdoc/>
    [JsonIgnore]
    public ScheduleState State => this;

    /// <inheritdoc/>
    public override ILearningRateSchedule Restore() => this;

    /// <inheritdoc/>
    public double LearningRate(long step, int epoch) => At(ScheduleChecks.Index(Unit, step, epoch));

    /// <summary>The learning rate after <paramref name="t"/> advances (PyTorch's <c>last_epoch</c> = t).</summary>
    protected abstract double At(long t);
}

/// <summary>Argument checks of the schedules.</summary>
internal static class ScheduleChecks
{
    public static long Index(ScheduleUnit unit, long step, int epoch)
    {
        if (unit == ScheduleUnit.Step)
            return step >= 1 ? step - 1 : throw new ArgumentOutOfRangeException(nameof(step), step, "optimizer steps are counted from 1");
        return epoch >= 0 ? epoch : throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epochs are counted from 0");
    }

    public static double Positive(double v, string name) =>
        v > 0 && double.IsFinite(v) ? v : throw new ArgumentOutOfRangeException(name, v, $"{name} must be a finite number > 0");

    public static double NonNegative(double v, string name) =>
        v >= 0 && double.IsFinite(v) ? v : throw new ArgumentOutOfRangeException(name, v, $"{name} must be a finite number >= 0");

    public static int PositiveInt(int v, string name) =>
        v > 0 ? v : throw new ArgumentOutOfRangeException(name, v, $"{name} must be > 0");

    public static double Factor(double v, string name) =>
        v > 0 && v < 1 ? v : throw new ArgumentOutOfRangeException(name, v, $"{name} must be in (0, 1)");
}
