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
}
