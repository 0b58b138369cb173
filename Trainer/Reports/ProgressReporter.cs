namespace OnnxKit.Training.Reports;

/// <summary>Receives training progress (the CLI draws a live bar; logs get plain lines).</summary>
public interface IProgressReporter
{
    /// <summary>An epoch starts with <paramref name="steps"/> batches.</summary>
    void EpochStart(int epoch, int epochs, int steps);
    /// <summary>A batch finished.</summary>
    void Batch(int step, int steps, double samplesPerSecond, double loss, IReadOnlyDictionary<string, double> metrics, TimeSpan eta);
    /// <summary>The epoch finished (validation included).</summary>
    void EpochEnd(Fit.EpochRecord record);
    /// <summary>A free-form message.</summary>
    void Message(string text);
}

/// <summary>Plain-line progress for non-terminals: one line per epoch plus a few lines per epoch while it runs.</summary>
public sealed class PlainProgressReporter(TextWriter output, int linesPerEpoch = 4) : IProgressReporter
{
    private int _nextMark;
    private int _epochs;

    /// <inheritdoc/>
    public void EpochStart(int epoch, int epochs, int steps) { _epochs = epochs; _nextMark = Math.Max(1, steps / Math.Max(1, linesPerEpoch)); }

    /// <inheritdoc/>
    public void Batch(int step, int steps, double samplesPerSecond, double loss, IReadOnlyDictionary<string, double> metrics, TimeSpan eta)
    {
        if (step < _nextMark || step == steps) return;
        _nextMark += Math.Max(1, steps / Math.Max(1, linesPerEpoch));
        output.WriteLine($"  step {step}/{steps}  loss {loss:F4}{Format(metrics)}  {samplesPerSecond:F0} samples/s  ETA {eta:mm\\:ss}");
    }

    /// <inheritdoc/>
    public void EpochEnd(Fit.EpochRecord r) =>
        output.WriteLine($"epoch {r.Epoch}/{_epochs}  {r.Seconds:F2}s  loss {r.TrainLoss:F4}{Format(r.TrainMetrics)}" +
            (r.ValLoss is double v ? $"  val_loss {v:F4}{Format(r.ValMetrics, "val_")}" : "") + $"  {r.SamplesPerSecond:F0} samples/s");

    /// <inheritdoc/>
    public void Message(string text) => output.WriteLine(text);

    private static string Format(IReadOnlyDictionary<string, double> m, string prefix = "") =>
        string.Concat(m.Select(kv => $"  {prefix}{kv.Key} {kv.Value:F4}"));
}

/// <summary>Reports nothing.</summary>
public sealed class SilentProgressReporter : IProgressReporter
{
    /// <inheritdoc/>
    public void EpochStart(int epoch, int epochs, int steps) { }
    /// <inheritdoc/>
    public void Batch(int step, int steps, double samplesPerSecond, double loss, IReadOnlyDictionary<string, double> metrics, TimeSpan eta) { }
    /// <inheritdoc/>
    public void EpochEnd(Fit.EpochRecord record) { }
    /// <inheritdoc/>
    public void Message(string text) { }
}
