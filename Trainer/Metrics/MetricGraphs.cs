using OnnxKit.IR;

namespace OnnxKit.Training.Metrics;

/// <summary>
/// The graph forms of the host rules in <see cref="Metric"/> (<c>PredictedClass</c>, <c>TargetClass</c>) and the class
/// counts the classification metrics share, for <see cref="Metric.BatchSums"/>. Each returns null where the host rule
/// reads the arrays in a way no static graph reproduces (e.g. int64 targets of several values per sample); the metric
/// is then updated from the outputs on the host.
/// </summary>
internal static class MetricGraphs
{
    /// <summary>The predicted class per row (<c>[batch]</c>, int64): arg-max (first of ties), or a 0.5 threshold for one output.</summary>
    public static Value PredictedClass(Value outputs, int outputSize) => outputSize == 1
        ? Op.Cast(Op.GreaterOrEqual(Op.Reshape(outputs, -1), outputs.Builder.Scalar(0.5)), ElementType.Int64)
        : Op.ArgMax(outputs, 1, keepDims: false);

    /// <summary>
    /// The target class per row (<c>[batch]</c>, int64): the index itself, the arg-max of a one-hot row as wide as the
    /// outputs, or a 0.5 threshold of a single float target beside a single output; null otherwise.
    /// </summary>
    public static Value? TargetClass(Value targets, int outputSize, int targetSize) => targets.ElementType switch
    {
        ElementType.Int64 when targetSize == 1 => Op.Reshape(targets, -1),
        ElementType.Float32 when targetSize == outputSize && outputSize > 1 => Op.ArgMax(targets, 1, keepDims: false),
        ElementType.Float32 when targetSize == 1 && outputSize == 1 => Op.Cast(Op.GreaterOrEqual(Op.Reshape(targets, -1), targets.Builder.Scalar(0.5)), ElementType.Int64),
        _ => null,
    };

    /// <summary>A count as a one-element float vector: Σ of a bool <c>[batch]</c> value.</summary>
    public static Value Count(Value flags) => Op.Reshape(Op.ReduceSum(Op.Cast(flags, ElementType.Float32), keepDims: false), 1);

    /// <summary>
    /// The confusion counts of a batch, row-major <c>[classes × classes]</c> (rows: true class, columns: predicted), as
    /// one-hot(true)ᵀ · one-hot(predicted); a class outside 0..classes−1 has an all-zero one-hot row, so the counts then
    /// sum to less than the batch (<see cref="CheckCounted"/>).
    /// </summary>
    public static Value? ConfusionCounts(Value outputs, Value targets, int classes, int outputSize, int targetSize)
    {
        if (TargetClass(targets, outputSize, targetSize) is not { } truth) return null;
        var g = outputs.Builder;
        var range = g.Constant(TensorData.FromInt64s("", Enumerable.Range(0, classes).Select(c => (long)c).ToArray(), 1, classes));
        Value OneHot(Value cls) => Op.Cast(Op.Equal(Op.Unsqueeze(cls, 1), range), ElementType.Float32);
        return Op.Reshape(Op.MatMul(Op.Transpose(OneHot(truth), 1, 0), OneHot(PredictedClass(outputs, outputSize))), (long)classes * classes);
    }

    /// <summary>Throws what the host rule throws when a batch's classes fell outside the matrix (its counts miss samples).</summary>
    public static void CheckCounted(ReadOnlySpan<float> counts, int count, int classes)
    {
        double counted = 0;
        foreach (var c in counts) counted += c;
        if (counted != count)
            throw new ArgumentOutOfRangeException(nameof(counts), $"{count - counted} of {count} samples have a target or predicted class outside 0..{classes - 1}");
    }
}
