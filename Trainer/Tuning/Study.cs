using System.Diagnostics;

namespace OnnxKit.Training.Tuning;

/// <summary>Options of <see cref="Study.Optimize"/>.</summary>
public sealed record StudyOptions
{
    /// <summary>The study's seed: trial k draws its values and trains with a seed derived from it and k.</summary>
    public int Seed { get; init; }
    /// <summary>Trials run at once in this process.</summary>
    public int Workers { get; init; } = 1;
    /// <summary>Stop when the study holds this many trials (counting those of earlier runs and other processes).</summary>
    public int? MaxTrials { get; init; }
    /// <summary>Stop claiming new trials after this much wall time (running trials finish).</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>A running trial whose heartbeat is older than this is taken as abandoned and queued again.</summary>
    public TimeSpan Silence { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How often this process marks its running trials alive.</summary>
    public TimeSpan HeartbeatEvery { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>What a trial returns: its final state and objective (higher is better).</summary>
public sealed record TrialOutcome(TrialState State, double? Value, int Epochs, string? Message = null);

/// <summary>A running trial, as the objective sees it.</summary>
public sealed class TrialContext
{
    private readonly Study _study;
    private readonly IReadOnlyList<TrialRecord> _competitors;

    internal TrialContext(Study study, int number, int worker, IReadOnlyDictionary<string, object> parameters, IReadOnlyList<TrialRecord> competitors)
    {
        _study = study; Number = number; Worker = worker; Parameters = parameters; _competitors = competitors;
        Seed = Study.TrialSeed(study.Options.Seed, number);
    }

    /// <summary>The trial's number in the study.</summary>
    public int Number { get; }
    /// <summary>The worker (0-based) running it in this process.</summary>
    public int Worker { get; }
    /// <summary>The values drawn for it.</summary>
    public IReadOnlyDictionary<string, object> Parameters { get; }
    /// <summary>Seed for the trial's own randomness (weights, data order), derived from the study's seed and <see cref="Number"/>.</summary>
    public int Seed { get; }

    /// <summary>Records the objective after <paramref name="epoch"/>; true when the pruner says the trial should stop.</summary>
    public bool Report(int epoch, double value)
    {
        _study.Store.Report(Number, epoch, value);
        return _study.Pruner.ShouldPrune(epoch, value, _competitors);
    }
}

/// <summary>
/// Runs trials of a search against a shared <see cref="IStudyStore"/> with <see cref="StudyOptions.Workers"/> workers.
/// For one process the results depend only on the seed and the worker count: trial k draws its values (and is pruned)
/// against exactly the trials numbered up to k − workers, waiting for those of this process to finish first. Trials of
/// other processes sharing the store are used as they finish, so a study spread over processes is not reproducible
/// run to run. A trial left running by a process that died is queued again and re-run with the same values.
/// </summary>
public sealed class Study(IStudyStore store, SearchSpace space, ISampler sampler, IPruner pruner, StudyOptions options)
{
    private readonly HashSet<int> _running = [];
    private readonly Lock _lock = new();

    internal IStudyStore Store => store;
    internal IPruner Pruner => pruner;
    /// <summary>The options.</summary>
    public StudyOptions Options => options;
    /// <summary>The space searched.</summary>
    public SearchSpace Space => space;

    /// <summary>Raised (on the worker's thread) when a trial starts, with its number, worker and values.</summary>
    public event Action<int, int, IReadOnlyDictionary<string, object>>? TrialStarted;
    /// <summary>Raised (on the worker's thread) when a trial has finished and been stored.</summary>
    public event Action<TrialRecord>? TrialFinished;

    /// <summary>A trial's seed: a SplitMix64 mix of the study seed and the trial number, kept non-negative for the command line.</summary>
    public static int TrialSeed(int studySeed, int number)
    {
        ulong z = unchecked((ulong)(uint)studySeed * 0x9E3779B97F4A7C15UL + (ulong)number + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    /// <summary>Runs trials until the trial budget or the timeout is reached (or nothing is left to claim).</summary>
    public void Optimize(Func<TrialContext, TrialOutcome> objective)
    {
        if (options.Workers < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Workers, "a study needs at least one worker");
        var clock = Stopwatch.StartNew();
        using var heartbeat = new Timer(_ =>
        {
            int[] mine; lock (_lock) mine = [.. _running];
            try { store.Heartbeat(mine); } catch (Exception) { /* a missed heartbeat is retried at the next tick */ }
        }, null, options.HeartbeatEvery, options.HeartbeatEvery);
        Exception? failure = null;
        var wrapped = Enumerable.Range(0, options.Workers).Select(w => new Thread(() =>
        {
            try { Work(w, objective, clock); }
            catch (Exception e) { lock (_lock) failure ??= e; }
        }) { Name = $"tune worker {w}" }).ToList();
        foreach (var t in wrapped) t.Start();
        foreach (var t in wrapped) t.Join();
        if (failure is not null) throw failure;
    }

    private bool TimeUp(Stopwatch clock) => options.Timeout is { } limit && clock.Elapsed >= limit;

    private void Work(int worker, Func<TrialContext, TrialOutcome> objective, Stopwatch clock)
    {
        string owner = SqliteStudyStore.OwnerOf(worker);
        while (!TimeUp(clock))
        {
            store.RequeueAbandoned(options.Silence);
            var claimed = store.Claim(owner, options.MaxTrials);
            if (claimed is null) return;
            int k = claimed.Number;
            lock (_lock) _running.Add(k);
            var sw = Stopwatch.StartNew();
            try
            {
                var earlier = Earlier(k);
                var parameters = claimed.Parameters;
                if (parameters is null)
                {
                    var observed = earlier.Where(t => t.State is TrialState.Complete or TrialState.Pruned && t.Value is double v && double.IsFinite(v) && t.Parameters is not null)
                        .Select(t => new Observation(t.Parameters!, t.Value!.Value)).ToList();
                    parameters = sampler.Sample(space, observed, new Random(TrialSeed(options.Seed, k)));
                    store.SetParameters(k, parameters);
                }
                TrialStarted?.Invoke(k, worker, parameters);
                TrialOutcome outcome;
                try { outcome = objective(new TrialContext(this, k, worker, parameters, earlier)); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    outcome = new TrialOutcome(TrialState.Failed, null, 0, $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" "));
                }
                store.Finish(k, outcome.State, outcome.Value, outcome.Epochs, sw.Elapsed.TotalSeconds, outcome.Message);
                TrialFinished?.Invoke(store.Trials().First(t => t.Number == k));
            }
            finally { lock (_lock) _running.Remove(k); }
        }
    }

    // The trials trial k learns from: numbers up to k − workers. Those of this process are waited for, so that one
    // process's study is reproducible; the wait gives up after the silence limit (a trial of another process that
    // died is re-run by whoever claims it).
    private IReadOnlyList<TrialRecord> Earlier(int k)
    {
        int last = k - options.Workers;
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < options.Silence)
        {
            bool pending; lock (_lock) pending = _running.Any(n => n <= last);
            if (!pending) break;
            Thread.Sleep(50);
        }
        return store.Trials().Where(t => t.Number <= last).ToList();
    }
}
