using OnnxKit.Training.Fit;

namespace OnnxKit.Training.Callbacks;

/// <summary>
/// Hooks into <see cref="OnnxKit.Training.Fit.Learner.Fit(OnnxKit.Training.Data.TensorDataset, OnnxKit.Training.Fit.FitOptions)"/> (Keras' callbacks). Override what you need; set
/// <see cref="TrainingContext.StopTraining"/> to end the run.
/// </summary>
public abstract class Callback
{
    /// <summary>Before the first epoch.</summary>
    public virtual void OnTrainBegin(TrainingContext ctx) { }
    /// <summary>After each batch, with its loss.</summary>
    public virtual void OnBatchEnd(TrainingContext ctx, long step, float loss) { }
    /// <summary>After each epoch (validation included).</summary>
    public virtual void OnEpochEnd(TrainingContext ctx, EpochRecord record) { }
    /// <summary>After the last epoch.</summary>
    public virtual void OnTrainEnd(TrainingContext ctx, History history) { }
    /// <summary>
    /// The callback's progress (e.g. the best value seen) as a string stored with each checkpoint, so that a resumed run
    /// continues it; null (the default) for a callback without any.
    /// </summary>
    public virtual string? SaveState() => null;
    /// <summary>Restores what <see cref="SaveState"/> returned (called on resume, after <see cref="OnTrainBegin"/>).</summary>
    public virtual void RestoreState(string state) { }
}

/// <summary>What callbacks can see and change during training.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(Learner learner) { Learner = learner; }
    /// <summary>The learner being trained.</summary>
    public Learner Learner { get; }
    /// <summary>Current 1-based epoch.</summary>
    public int Epoch { get; internal set; }
    /// <summary>Steps taken so far.</summary>
    public long Step => Learner.Session?.StepCount ?? 0;
    /// <summary>Set to stop after the current batch/epoch.</summary>
    public bool StopTraining { get; set; }
    /// <summary>Why training was stopped (for the history).</summary>
    public string? StopReason { get; set; }
    /// <summary>Learning rate used by the current step (callbacks may change it via <see cref="LearningRateOverride"/>).</summary>
    public double LearningRate { get; internal set; }
    /// <summary>A factor applied to the scheduled learning rate (ReduceLROnPlateau-style callbacks set it).</summary>
    public double LearningRateOverride { get; set; } = 1.0;
}
