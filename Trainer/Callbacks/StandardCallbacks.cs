using System.Globalization;
using System.Text;
using OnnxKit.Training.Fit;

namespace OnnxKit.Training.Callbacks;

/// <summary>Stops when a monitored quantity has not improved for <c>patience</c> epochs; optionally restores the best weights.</summary>
public sealed class EarlyStopping(string monitor = "val_loss", int patience = 3, double minDelta = 0, bool restoreBestWeights = false) : Callback
{
    private double _best; private int _wait; private Dictionary<string, Checkpoints.NamedTensor>? _bestState;
    private bool Max => monitor.Contains("acc") || monitor.Contains("f1") || monitor.Contains("precision") || monitor.Contains("recall");

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext ctx) { _best = Max ? double.NegativeInfinity : double.PositiveInfinity; _wait = 0; }

    /// <inheritdoc/>
    /// <remarks>The best value and the epochs waited; the best weights of <c>restoreBestWeights</c> are not kept across a resume.</remarks>
    public override string? SaveState() => FormattableString.Invariant($"{_best:R};{_wait}");

    /// <inheritdoc/>
    public override void RestoreState(string state)
    {
        var parts = state.Split(';');
        _best = double.Parse(parts[0], CultureInfo.InvariantCulture);
        _wait = int.Parse(parts[1], CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext ctx, EpochRecord r)
    {
        double v = Monitored(r, monitor);
        bool better = Max ? v > _best + minDelta : v < _best - minDelta;
        if (better) { _best = v; _wait = 0; if (restoreBestWeights) _bestState = ctx.Learner.Session!.State(); return; }
        if (++_wait >= patience)
        {
            ctx.StopTraining = true;
            ctx.StopReason = $"early stopping: {monitor} did not improve for {patience} epochs (best {_best:G5})";
            if (_bestState is not null) ctx.Learner.Session!.LoadState(_bestState);
        }
    }

    internal static double Monitored(EpochRecord r, string name) => name switch
    {
        "loss" or "train_loss" => r.TrainLoss,
        "val_loss" => r.ValLoss ?? throw new InvalidOperationException("val_loss is monitored but no validation data was given"),
        var s when s.StartsWith("val_") => r.ValMetrics.TryGetValue(s[4..], out var v) ? v : throw new InvalidOperationException($"metric '{s}' is not computed"),
        var s => r.TrainMetrics.TryGetValue(s.StartsWith("train_") ? s[6..] : s, out var v) ? v : throw new InvalidOperationException($"metric '{s}' is not computed"),
    };
}

/// <summary>Stops training as soon as the loss is NaN or infinite (the weights would be garbage from then on).</summary>
public sealed class TerminateOnNaN : Callback
{
    /// <summary>True once it has stopped a run.</summary>
    public bool Triggered { get; private set; }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext ctx, long step, float loss)
    {
        if (!float.IsFinite(loss)) { Triggered = true; ctx.StopTraining = true; ctx.StopReason = $"loss became {loss} at step {step}"; }
    }
}

/// <summary>
/// Watches for a finite blow-up: the batch loss above <c>factor</c> × the first epoch's mean loss for
/// <c>steps</c> consecutive steps. Warns once through <c>warn</c>; with <c>stop</c> it also ends the run.
/// </summary>
public sealed class DivergenceMonitor(Action<string> warn, bool stop = false, double factor = 100, int steps = 50) : Callback
{
    private double _reference = double.NaN;
    private int _above;
    private bool _warned;

    /// <summary>True once the blow-up was seen.</summary>
    public bool Triggered => _warned;

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext ctx, long step, float loss)
    {
        if (double.IsNaN(_reference)) return;
        _above = loss > factor * _reference ? _above + 1 : 0;
        if (_above < steps || _warned) return;
        _warned = true;
        string what = $"the loss has stayed above {factor:G}× the first epoch's ({_reference:G4}) for {steps} steps (now {loss:G4} at step {step})";
        warn(stop ? $"{what}: training diverged, stopping" : $"{what}: training is diverging; try a lower --lr (--stop-on-divergence stops such runs)");
        if (stop) { ctx.StopTraining = true; ctx.StopReason = $"diverged: {what}"; }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext ctx, EpochRecord r)
    {
        if (double.IsNaN(_reference) && double.IsFinite(r.TrainLoss) && r.TrainLoss > 0) _reference = r.TrainLoss;
    }

    /// <inheritdoc/>
    public override string? SaveState() => FormattableString.Invariant($"{_reference:R};{_above};{_warned}");

    /// <inheritdoc/>
    public override void RestoreState(string state)
    {
        var p = state.Split(';');
        _reference = double.Parse(p[0], CultureInfo.InvariantCulture); _above = int.Parse(p[1], CultureInfo.InvariantCulture); _warned = bool.Parse(p[2]);
    }
}

/// <summary>Saves a checkpoint every epoch (last) and/or whenever the monitored quantity improves (best).</summary>
public sealed class ModelCheckpoint(string directory, string monitor = "val_loss", bool saveBestOnly = false, int everyEpochs = 1) : Callback
{
    private double _best = double.NaN;

    /// <inheritdoc/>
    public override string? SaveState() => _best.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override void RestoreState(string state) => _best = double.Parse(state, CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext ctx, EpochRecord r)
    {
        // A diverged epoch's weights are not worth keeping: last.safetensors stays the last finite checkpoint.
        if (!double.IsFinite(r.TrainLoss)) return;
        Directory.CreateDirectory(directory);
        if (!saveBestOnly && r.Epoch % everyEpochs == 0) ctx.Learner.SaveCheckpoint(Path.Combine(directory, "last.safetensors"));
        double v;
        try { v = EarlyStopping.Monitored(r, monitor); } catch (InvalidOperationException) { return; }
        bool max = monitor.Contains("acc") || monitor.Contains("f1");
        if (double.IsNaN(_best) || (max ? v > _best : v < _best))
        {
            _best = v;
            ctx.Learner.SaveCheckpoint(Path.Combine(directory, "best.safetensors"));
        }
    }
}

/// <summary>Writes the history after every epoch as CSV (Keras' CSVLogger); written atomically.</summary>
public sealed class CsvLogger(string path) : Callback
{
    private readonly List<EpochRecord> _rows = [];
    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext ctx, EpochRecord r) { _rows.Add(r); Reports.MetricsFiles.WriteCsv(path, _rows); }
}

/// <summary>Writes the history after every epoch as JSON; written atomically.</summary>
public sealed class JsonLogger(string path) : Callback
{
    private readonly List<EpochRecord> _rows = [];
    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext ctx, EpochRecord r) { _rows.Add(r); Reports.MetricsFiles.WriteJson(path, _rows, null); }
}
