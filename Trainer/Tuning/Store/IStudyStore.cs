namespace OnnxKit.Training.Tuning;

/// <summary>
/// Where a study's trials live, shared by every worker of every process that opens the same study. Each method is
/// atomic with respect to all of them: <see cref="Claim"/> hands out every trial number once, and a trial left
/// running by a dead process is queued again (<see cref="TrialState.Waiting"/>) instead of being lost or run twice
/// at once. <see cref="SqliteStudyStore"/> serves processes on one machine; a server database would implement the
/// same contract for workers on several.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>
    /// Opens the study <paramref name="name"/>, creating it with <paramref name="configuration"/> (the search space and
    /// what the trials run, as text) when new.
    /// </summary>
    /// <exception cref="InvalidOperationException">The study exists with another configuration.</exception>
    void Open(string name, string configuration);

    /// <summary>
    /// Claims a trial for <paramref name="owner"/>: a <see cref="TrialState.Waiting"/> one first (its parameters are
    /// kept), otherwise a new number, unless the study already holds <paramref name="maxTrials"/> trials. Null when
    /// there is nothing left to claim.
    /// </summary>
    TrialRecord? Claim(string owner, int? maxTrials);

    /// <summary>Stores the values drawn for a claimed trial.</summary>
    void SetParameters(int number, IReadOnlyDictionary<string, object> parameters);

    /// <summary>Records the objective after an epoch (the pruner's input).</summary>
    void Report(int number, int epoch, double value);

    /// <summary>Ends a trial.</summary>
    void Finish(int number, TrialState state, double? value, int epochs, double seconds, string? message);

    /// <summary>Marks this process's running trials alive (called every few seconds).</summary>
    void Heartbeat(IEnumerable<int> numbers);

    /// <summary>
    /// Queues again the trials left running by a process that is gone (same host and its pid is dead) or silent for
    /// longer than <paramref name="silence"/>; returns their numbers.
    /// </summary>
    IReadOnlyList<int> RequeueAbandoned(TimeSpan silence);

    /// <summary>Every trial of the study, by number.</summary>
    IReadOnlyList<TrialRecord> Trials();
}
