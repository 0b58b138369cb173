using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Metrics;

namespace OnnxKit.Training.Session.Lowering;

/// <summary>
/// Appends the metrics' graph forms (<see cref="Metric.BatchSums"/>) to a train-step or eval graph as one extra output,
/// <see cref="Name"/>: the few sums of the batch (correct counts, error sums, confusion counts) in one float vector.
/// A session whose model output lives on a device binds this output in host memory and leaves the model output on the
/// device, so a step brings back the loss and these numbers instead of the outputs.
/// </summary>
/// <remarks>Like the other lowerings, applied to the bytes handed to ORT, never to saved artifacts.</remarks>
internal static class MetricOutputs
{
    /// <summary>The appended output.</summary>
    public const string Name = "onnxkit.metric_sums";

    /// <summary>Where one metric's sums lie in the appended output.</summary>
    public readonly record struct Slice(Metric Metric, int Offset, int Length);

    /// <summary>
    /// <paramref name="model"/> with the sums of every metric that has a graph form appended (from the output
    /// <paramref name="output"/> and the target input), and where each lies; the model unchanged and no slices when none has.
    /// </summary>
    public static (byte[] Model, Slice[] Slices) Append(byte[] model, string output, IReadOnlyList<Metric> metrics)
    {
        if (metrics.Count == 0) return (model, []);
        var g = GraphBuilder.Attach(OnnxModel.FromBytes(model));
        var y = g[output];
        // Per-sample sizes must be static (as the session's batch buffers need); otherwise the host computes the metrics.
        if (PerSample(y) is not { } outputSize || PerSample(g[TrainingArtifacts.TargetName]) is not { } targetSize) return (model, []);
        // [batch, …] → [batch, outputSize] and the targets → [batch, targetSize], as the host metrics read them.
        var outputs = y.Rank == 2 ? y : Op.Reshape(y, 0, -1);
        var targets = Op.Reshape(g[TrainingArtifacts.TargetName], 0, -1);
        var slices = new List<Slice>();
        var sums = new List<Value>();
        int offset = 0;
        foreach (var m in metrics)
        {
            if (m.BatchSums(outputs, targets, outputSize, targetSize) is not { } s) continue;
            if (s.ElementType != ElementType.Float32 || s.Rank != 1 || s.Shape!.ElementCount is not { } n)
                throw new InvalidOperationException($"metric '{m.Name}': BatchSums must give a 1-D float value of static length, got {s.Type}");
            slices.Add(new Slice(m, offset, (int)n));
            sums.Add(s);
            offset += (int)n;
        }
        if (sums.Count == 0) return (model, []);
        g.Output(sums.Count == 1 ? sums[0] : Op.Concat(0, [.. sums]), Name);
        return (g.Build().ToBytes(), [.. slices]);
    }

    private static int? PerSample(Value v) =>
        v.Shape is { Rank: >= 1 } s && s.Skip(1).All(d => d.IsKnown) ? (int)s.Skip(1).Aggregate(1L, (a, d) => a * d.Value!.Value) : null;
}
