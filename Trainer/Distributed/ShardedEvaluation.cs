using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using TrainingSession = OnnxKit.Training.Session.TrainingSession;

namespace OnnxKit.Training.Distributed;

/// <summary>
/// Evaluation shared out over the ranks of a job: each rank runs the eval graph on its contiguous share of the rows,
/// the model outputs (each rank's rows, zeros elsewhere) and the loss sums are summed over the ranks, and every rank
/// then computes the metrics and confusion matrix on all the outputs, as one process would.
/// </summary>
internal static class ShardedEvaluation
{
    public static EvaluationResult Run(TrainingSession session, ICommunicator comm, TensorDataset data, int batchSize, IReadOnlyList<Metric> metrics)
    {
        int outSize = session.OutputSize, n = data.Count;
        var (first, rows) = StepPlan.Shard(n, comm.Rank, comm.Size);
        var outputs = new float[(long)n * outSize];
        var features = new float[batchSize * data.SampleSize];
        Array targets = data.Labels is not null ? new long[batchSize] : new float[batchSize * data.TargetWidth];
        var order = Enumerable.Range(0, n).ToArray();
        var lossSum = new double[1];
        for (int start = first; start < first + rows; start += batchSize)
        {
            int count = Math.Min(batchSize, first + rows - start);
            Learner.Gather(data, order, start, count, features, targets);
            lossSum[0] += session.Evaluate(features, targets, count) * (double)count;
            session.LastOutput.CopyTo(outputs.AsSpan(start * outSize));
        }
        comm.AllreduceSum(outputs);
        comm.AllreduceSum(lossSum);

        foreach (var m in metrics) m.Reset();
        ConfusionMatrix? cm = data.Labels is not null && outSize > 1 ? new ConfusionMatrix(outSize) : null;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            if (data.Labels is not null) Array.Copy(data.Labels, start, targets, 0, count);
            else Array.Copy(data.Targets!, start * data.TargetWidth, targets, 0, count * data.TargetWidth);
            var batch = outputs.AsSpan(start * outSize, count * outSize);
            foreach (var m in metrics) m.Update(batch, targets, count, outSize);
            cm?.Add(batch, targets, count, outSize);
        }
        return new EvaluationResult(lossSum[0] / n, metrics.ToDictionary(m => m.Name, m => m.Result()), cm);
    }
}
