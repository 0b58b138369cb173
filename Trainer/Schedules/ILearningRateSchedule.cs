namespace OnnxKit.Training.Schedules;

/// <summary>Whether a schedule advances once per optimizer step or once per epoch (as one calls <c>scheduler.step()</c> in PyTorch).</summary>
public enum ScheduleUnit
{
    /// <summary>Advances every optimizer step; optimizer step s (1-based) uses the schedule's value after s − 1 advances.</summary>
    Step,
    /// <summary>Advances every epoch; epoch e (0-based) uses the schedule's value after e advances.</summary>
    Epoch,
}

/// <summary>
/// A learning-rate schedule, evaluated on the host before every step; the result is fed to the train step as the
/// <c>lr</c>-derived step scalars. Values match <c>torch.optim.lr_scheduler</c> stepped once per <see cref="Unit"/>.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>What the schedule counts.</summary>
    ScheduleUnit Unit { get; }

    /// <summary>The learning rate for 1-based optimizer step <paramref name="step"/> within 0-based epoch <paramref name="epoch"/>.</summary>
    double LearningRate(long step, int epoch);

    /// <summary>A serialisable snapshot from which <see cref="ScheduleState.Restore"/> rebuilds this schedule exactly (configuration and progress).</summary>
    ScheduleState State { get; }
}
