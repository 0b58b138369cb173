namespace OnnxKit.Training.Tuning;

/// <summary>Where a trial stands. WAITING: queued again after its process died, to be claimed by another.</summary>
public enum TrialState
{
    /// <summary>Claimed by a live worker.</summary>
    Running,
    /// <summary>Ran to its last epoch.</summary>
    Complete,
    /// <summary>Stopped early by the pruner.</summary>
    Pruned,
    /// <summary>Threw, or its training diverged.</summary>
    Failed,
    /// <summary>Left running by a process that died; the next worker re-runs it with the same parameters.</summary>
    Waiting,
}

/// <summary>One trial as the store holds it.</summary>
/// <param name="Number">0-based number within the study (claim order).</param>
/// <param name="State">Where it stands.</param>
/// <param name="Parameters">Its values (null until drawn): doubles for numeric, strings for categorical parameters.</param>
/// <param name="Value">The objective (higher is better) once finished; for a pruned trial the last value it reported.</param>
/// <param name="Intermediate">Values reported per epoch (the pruner's input).</param>
/// <param name="Epochs">Epochs run.</param>
/// <param name="Seconds">Wall time of the trial.</param>
/// <param name="Owner">The worker that claimed it (host, process id, worker id).</param>
/// <param name="Message">Why it failed or was pruned.</param>
public sealed record TrialRecord(int Number, TrialState State, IReadOnlyDictionary<string, object>? Parameters, double? Value,
    IReadOnlyDictionary<int, double> Intermediate, int Epochs, double Seconds, string Owner, string? Message)
{
    /// <summary>Finished (complete, pruned or failed): it will not change again.</summary>
    public bool IsFinished => State is TrialState.Complete or TrialState.Pruned or TrialState.Failed;
}
