using OnnxKit.IR;

namespace OnnxKit.Training.Metrics;

/// <summary>Arg-max accuracy.</summary>
public sealed class AccuracyMetric : Metric
{
    private long _correct, _total;
    /// <inheritdoc/>
    public override string Name => "accuracy";
    /// <inheritdoc/>
    public override void Reset() { _correct = 0; _total = 0; }
    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> outputs, Array targets, int count, int outputSize)
    {
        for (int i = 0; i < count; i++)
            if (PredictedClass(outputs.Slice(i * outputSize, outputSize)) == TargetClass(targets, i, outputSize)) _correct++;
        _total += count;
    }
    /// <inheritdoc/>
    public override double Result() => _total == 0 ? 0 : (double)_correct / _total;
    /// <inheritdoc/>
    public override Value? BatchSums(Value outputs, Value targets, int outputSize, int targetSize) =>
        MetricGraphs.TargetClass(targets, outputSize, targetSize) is { } truth ? MetricGraphs.Count(Op.Equal(MetricGraphs.PredictedClass(outputs, outputSize), truth)) : null;
    /// <inheritdoc/>
    public override void AddBatchSums(ReadOnlySpan<float> sums, int count, int outputSize) { _correct += (long)sums[0]; _total += count; }
}

/// <summary>Top-k accuracy: the target is among the k largest outputs (ties count against the target).</summary>
public sealed class TopKAccuracyMetric(int k) : Metric
{
    private long _hit, _total;
    /// <inheritdoc/>
    public override string Name => $"top{k}";
    /// <inheritdoc/>
    public override void Reset() { _hit = 0; _total = 0; }
    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> outputs, Array targets, int count, int outputSize)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "top-k needs k ≥ 1");
        for (int i = 0; i < count; i++)
        {
            var row = outputs.Slice(i * outputSize, outputSize);
            int t = TargetClass(targets, i, outputSize);
            int larger = 0;
            for (int j = 0; j < row.Length; j++) if (j != t && row[j] >= row[t]) larger++;
            if (larger < k) _hit++;
        }
        _total += count;
    }
    /// <inheritdoc/>
    public override double Result() => _total == 0 ? 0 : (double)_hit / _total;
    /// <inheritdoc/>
    public override Value? BatchSums(Value outputs, Value targets, int outputSize, int targetSize)
    {
        if (k <= 0 || outputSize < 2 || MetricGraphs.TargetClass(targets, outputSize, targetSize) is not { } truth) return null;
        // Outputs at least the target's, the target itself included (unless NaN, as on the host): a hit when fewer than k others.
        var atLeast = Op.ReduceSum(Op.Cast(Op.GreaterOrEqual(outputs, Op.GatherElements(outputs, Op.Unsqueeze(truth, 1), axis: 1)), ElementType.Float32), [1], keepDims: false);
        return MetricGraphs.Count(Op.Less(atLeast, outputs.Builder.Scalar(k + 0.5)));
    }
    /// <inheritdoc/>
    public override void AddBatchSums(ReadOnlySpan<float> sums, int count, int outputSize) { _hit += (long)sums[0]; _total += count; }
}

/// <summary>A confusion matrix (rows: true class, columns: predicted class), and the per-class scores derived from it.</summary>
public sealed class ConfusionMatrix
{
    /// <summary>Counts [true, predicted].</summary>
    public long[,] Counts { get; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>An empty matrix.</summary>
    public ConfusionMatrix(int classes) { Classes = classes; Counts = new long[classes, classes]; }

    /// <summary>Adds one (true, predicted) pair; a class outside the range is an error naming it.</summary>
    public void Add(int truth, int predicted)
    {
        if ((uint)truth >= Classes) throw new ArgumentOutOfRangeException(nameof(truth), truth, $"target class outside 0..{Classes - 1}");
        if ((uint)predicted >= Classes) throw new ArgumentOutOfRangeException(nameof(predicted), predicted, $"predicted class outside 0..{Classes - 1}");
        Counts[truth, predicted]++;
    }

    /// <summary>Adds a batch of outputs.</summary>
    public void Add(ReadOnlySpan<float> outputs, Array targets, int count, int outputSize)
    {
        for (int i = 0; i < count; i++)
        {
            var row = outputs.Slice(i * outputSize, outputSize);
            int p = row.Length == 1 ? (row[0] >= 0.5f ? 1 : 0) : MaxIndex(row);
            int t = targets switch { long[] l => (int)l[i], int[] n => n[i], float[] f => outputSize > 1 && f.Length >= count * outputSize ? MaxIndex(f.AsSpan(i * outputSize, outputSize)) : (f[i] >= 0.5f ? 1 : 0), _ => throw new ArgumentException("unsupported targets") };
            Add(t, p);
        }
    }

    /// <summary>Adds a batch's counts as <see cref="MetricGraphs.ConfusionCounts"/> computed them (row-major, classes²).</summary>
    internal void AddCounts(ReadOnlySpan<float> counts, int count)
    {
        MetricGraphs.CheckCounted(counts, count, Classes);
        for (int t = 0; t < Classes; t++)
            for (int p = 0; p < Classes; p++) Counts[t, p] += (long)counts[t * Classes + p];
    }

    private static int MaxIndex(ReadOnlySpan<float> r) { int b = 0; for (int j = 1; j < r.Length; j++) if (r[j] > r[b]) b = j; return b; }

    /// <summary>Precision of class c (0 where nothing was predicted as c).</summary>
    public double Precision(int c) { long tp = Counts[c, c], col = 0; for (int t = 0; t < Classes; t++) col += Counts[t, c]; return col == 0 ? 0 : (double)tp / col; }
    /// <summary>Recall of class c (0 where c never occurs).</summary>
    public double Recall(int c) { long tp = Counts[c, c], row = 0; for (int p = 0; p < Classes; p++) row += Counts[c, p]; return row == 0 ? 0 : (double)tp / row; }
    /// <summary>F1 of class c.</summary>
    public double F1(int c) { double p = Precision(c), r = Recall(c); return p + r == 0 ? 0 : 2 * p * r / (p + r); }
    /// <summary>Fraction on the diagonal.</summary>
    public double Accuracy() { long d = 0, all = 0; for (int i = 0; i < Classes; i++) for (int j = 0; j < Classes; j++) { all += Counts[i, j]; if (i == j) d += Counts[i, j]; } return all == 0 ? 0 : (double)d / all; }
}

/// <summary>Macro-averaged precision, recall or F1 from a confusion matrix.</summary>
public sealed class ClassificationReportMetric(int classes, ClassificationReportMetric.Kind kind) : Metric
{
    /// <summary>Which score.</summary>
    public enum Kind { /** <summary>Precision.</summary> */ Precision, /** <summary>Recall.</summary> */ Recall, /** <summary>F1.</summary> */ F1 }
    private ConfusionMatrix _m = new(classes);
    /// <summary>Number of classes.</summary>
    public int Classes => classes;
    /// <summary>Which score this is.</summary>
    public Kind Which => kind;
    /// <inheritdoc/>
    public override string Name => kind.ToString().ToLowerInvariant();
    /// <inheritdoc/>
    public override void Reset() => _m = new ConfusionMatrix(classes);
    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> outputs, Array targets, int count, int outputSize) => _m.Add(outputs, targets, count, outputSize);
    /// <inheritdoc/>
    public override double Result() => Enumerable.Range(0, classes).Average(c => kind switch { Kind.Precision => _m.Precision(c), Kind.Recall => _m.Recall(c), _ => _m.F1(c) });
    /// <inheritdoc/>
    public override Value? BatchSums(Value outputs, Value targets, int outputSize, int targetSize) =>
        MetricGraphs.ConfusionCounts(outputs, targets, classes, outputSize, targetSize);
    /// <inheritdoc/>
    public override void AddBatchSums(ReadOnlySpan<float> sums, int count, int outputSize) => _m.AddCounts(sums, count);
}

/// <summary>
/// The confusion matrix of an evaluation as a metric (classes = the output width), so that a session on a device counts
/// it in the eval graph like the other metrics; <see cref="Fit.Learner.Evaluate(Data.TensorDataset, int)"/> reads <see cref="Matrix"/>.
/// </summary>
internal sealed class ConfusionMatrixMetric : Metric
{
    /// <summary>The matrix since <see cref="Reset"/> (null before the first batch).</summary>
    public ConfusionMatrix? Matrix { get; private set; }
    public override string Name => "confusion";
    public override void Reset() => Matrix = null;
    public override void Update(ReadOnlySpan<float> outputs, Array targets, int count, int outputSize) => For(outputSize).Add(outputs, targets, count, outputSize);
    public override double Result() => Matrix?.Accuracy() ?? 0;
    public override Value? BatchSums(Value outputs, Value targets, int outputSize, int targetSize)
        => MetricGraphs.ConfusionCounts(outputs, targets, outputSize, outputSize, targetSize);
    public override void AddBatchSums(ReadOnlySpan<float> sums, int count, int outputSize) => For(outputSize).AddCounts(sums, count);
    internal override bool EvaluationOnly => true;
    private ConfusionMatrix For(int classes) => Matrix ??= new ConfusionMatrix(classes);
}

/// <summary>Mean squared or absolute error against float targets.</summary>
public sealed class RegressionMetric(string name, bool squared) : Metric
{
    private double _sum; private long _n;
    /// <inheritdoc/>
    public override string Name => name;
    /// <inheritdoc/>
    public override void Reset() { _sum = 0; _n = 0; }
    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> outputs, Array targets, int count, int outputSize)
    {
        if (targets is not float[] t) throw new ArgumentException($"{name} needs float targets, got {targets.GetType().Name}");
        int n = count * outputSize;
        for (int i = 0; i < n; i++) { double d = outputs[i] - t[i]; _sum += squared ? d * d : Math.Abs(d); }
        _n += n;
    }
    /// <inheritdoc/>
    public override double Result() => _n == 0 ? 0 : _sum / _n;
    /// <inheritdoc/>
    public override Value? BatchSums(Value outputs, Value targets, int outputSize, int targetSize)
    {
        if (targets.ElementType != ElementType.Float32 || targetSize != outputSize) return null;
        var d = Op.Sub(outputs, targets);
        return Op.Reshape(Op.ReduceSum(squared ? Op.Mul(d, d) : Op.Abs(d), keepDims: false), 1);
    }
    /// <inheritdoc/>
    public override void AddBatchSums(ReadOnlySpan<float> sums, int count, int outputSize) { _sum += sums[0]; _n += (long)count * outputSize; }
}
