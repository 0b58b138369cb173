using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Reports;
using OnnxKit.Training.Tuning;

namespace OnnxKit.Cli.Commands;

/// <summary>What <c>onnxkit train</c> adds to a run that is a trial of <c>onnxkit tune</c>.</summary>
/// <param name="Callbacks">Callbacks added to the run's own (the pruning report).</param>
/// <param name="Progress">Where the run's progress goes (nowhere: the tune table shows trials, not batches).</param>
internal sealed record TuneTrial(IReadOnlyList<Callback> Callbacks, IProgressReporter Progress);

/// <summary>
/// Reports the validation metric to the study after every epoch and stops the run when the pruner says so; the last
/// reported value is the trial's objective (the metric of the weights model.onnx holds).
/// </summary>
internal sealed class PruningReport(TrialContext trial, string metric) : Callback
{
    public double? LastValue { get; private set; }
    public int Epochs { get; private set; }
    public bool Pruned { get; private set; }

    public override void OnEpochEnd(TrainingContext ctx, EpochRecord record)
    {
        double value = record.ValMetrics.TryGetValue(metric, out var v) ? v : double.NaN;
        LastValue = value; Epochs = record.Epoch;
        if (trial.Report(record.Epoch, value))
        {
            Pruned = true;
            ctx.StopTraining = true;
            ctx.StopReason = $"pruned after epoch {record.Epoch} (validation {metric} {value:F4})";
        }
    }
}
