using OnnxKit.Training.Fit;
using OnnxKit.Training.Reports;
using Spectre.Console;

namespace OnnxKit.Cli.ConsoleOutput;

/// <summary>
/// A live progress bar per epoch (steps, samples/s, loss, metrics, ETA) on a terminal; each finished epoch stays
/// on screen as one summary line.
/// </summary>
internal sealed class SpectreProgressReporter : IProgressReporter, IDisposable
{
    private readonly IAnsiConsole _console = AnsiConsole.Console;
    private Thread? _thread;
    private ProgressTask? _task;
    private readonly ManualResetEventSlim _epochDone = new(false);
    private readonly ManualResetEventSlim _ready = new(false);
    private int _epochs;
    private string _label = "";

    public void EpochStart(int epoch, int epochs, int steps)
    {
        _epochs = epochs;
        _epochDone.Reset(); _ready.Reset();
        _thread = new Thread(() =>
        {
            _console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    _label = $"epoch {epoch}/{epochs}";
                    _task = ctx.AddTask(_label, maxValue: steps);
                    _ready.Set();
                    _epochDone.Wait();
                    _task.Value = _task.MaxValue;
                });
        }) { IsBackground = true };
        _thread.Start();
        _ready.Wait();
    }

    public void Batch(int step, int steps, double samplesPerSecond, double loss, IReadOnlyDictionary<string, double> metrics, TimeSpan eta)
    {
        if (_task is null) return;
        _task.Value = step;
        _task.Description = $"epoch {_task.Description.Split(' ')[1]} [grey]{step}/{steps}[/] loss {loss:F4}" +
            string.Concat(metrics.Select(kv => $" {kv.Key} {kv.Value:F4}")) + $" [grey]{samplesPerSecond:F0}/s[/]";
    }

    public void EpochEnd(EpochRecord r)
    {
        _epochDone.Set();
        _thread?.Join();
        _task = null;
        _console.MarkupLine($"epoch {r.Epoch}/{_epochs}  {r.Seconds:F2}s  loss [yellow]{r.TrainLoss:F4}[/]" +
            string.Concat(r.TrainMetrics.Select(kv => $"  {kv.Key} [yellow]{kv.Value:F4}[/]")) +
            (r.ValLoss is double v ? $"  val_loss [green]{v:F4}[/]" + string.Concat(r.ValMetrics.Select(kv => $"  val_{kv.Key} [green]{kv.Value:F4}[/]")) : "") +
            $"  [grey]{r.SamplesPerSecond:F0} samples/s[/]");
    }

    public void Message(string text) => _console.MarkupLine(Markup.Escape(text));

    public void Dispose() { _epochDone.Set(); _thread?.Join(); }
}
