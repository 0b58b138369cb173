using OnnxKit.Training.Tuning;
using Spectre.Console;

namespace OnnxKit.Cli.ConsoleOutput;

/// <summary>
/// Shows a study while it runs: on a terminal a live table of the trials ranked by their validation metric (top 15
/// and the running ones), redrawn as trials start and finish; otherwise one plain line per trial start and end.
/// </summary>
internal sealed class TuneDisplay
{
    private readonly string _metric;
    private readonly bool _live;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, (string State, double? Value, int Epochs, string Params)> _rows = [];

    public TuneDisplay(Study study, string metric, bool live)
    {
        _metric = metric; _live = live;
        study.TrialStarted += (k, worker, p) => Started(k, worker, p);
        study.TrialFinished += Finished;
    }

    private static string Describe(IReadOnlyDictionary<string, object> p) => string.Join(" ", p.Select(kv => $"{kv.Key}={SearchParameter.Format(kv.Value)}"));

    private void Started(int k, int worker, IReadOnlyDictionary<string, object> p)
    {
        lock (_lock) _rows[k] = ("running", null, 0, Describe(p));
        if (!_live) lock (_lock) Console.WriteLine($"trial {k} started (worker {worker}): {Describe(p)}");
        Refresh();
    }

    private void Finished(TrialRecord t)
    {
        lock (_lock) _rows[t.Number] = (t.State.ToString().ToLowerInvariant(), t.Value, t.Epochs, Describe(t.Parameters ?? new Dictionary<string, object>()));
        if (!_live)
            lock (_lock)
                Console.WriteLine($"trial {t.Number} {t.State.ToString().ToLowerInvariant()}: val_{_metric} {(t.Value is double v ? v.ToString("F4") : "-")}, " +
                    $"{t.Epochs} epochs, {t.Seconds:F1} s" + (t.Message is null ? "" : $" ({t.Message})"));
        Refresh();
    }

    private Action? _refresh;
    private void Refresh() => _refresh?.Invoke();

    /// <summary>Runs <paramref name="optimize"/> with the display attached.</summary>
    public void Run(Action optimize)
    {
        if (!_live) { optimize(); return; }
        var table = new Table().Border(TableBorder.Rounded);
        AnsiConsole.Live(table).AutoClear(false).Start(ctx =>
        {
            _refresh = () => { lock (_lock) { Fill(table); ctx.Refresh(); } };
            optimize();
            _refresh();
        });
    }

    private void Fill(Table table)
    {
        table.Rows.Clear();
        if (table.Columns.Count == 0) table.AddColumns("rank", "trial", "state", "val_" + _metric, "epochs", "parameters");
        var ranked = _rows.OrderBy(kv => kv.Value.State == "running" ? 1 : kv.Value.State == "complete" ? 0 : 2)
            .ThenByDescending(kv => kv.Value.Value ?? double.NegativeInfinity).ToList();
        int rank = 0;
        foreach (var (k, row) in ranked.Where(kv => kv.Value.State == "running").Concat(ranked.Where(kv => kv.Value.State != "running").Take(15)).OrderBy(kv => ranked.IndexOf(kv)))
            table.AddRow(row.State == "complete" ? (++rank).ToString() : "", k.ToString(), row.State, row.Value is double v ? v.ToString("F4") : "-",
                row.Epochs.ToString(), Markup.Escape(row.Params));
        table.Caption($"{_rows.Count(r => r.Value.State != "running")} finished, {_rows.Count(r => r.Value.State == "running")} running");
    }
}
