namespace OnnxKit.Training.Metrics;

/// <summary>
/// A quantity accumulated over the batches of an epoch from the model's outputs and the targets
/// (Keras' metrics). Outputs are [count, outputSize] row-major; targets class indices or values.
/// </summary>
public abstract class Metric
{
    /// <summary>Name in logs and <c>metrics.json</c> (e.g. <c>accuracy</c>).</summary>
    public abstract string Name { get; }
    /// <summary>Clears the accumulated state (start of an epoch).</summary>
    public abstract void Reset();
    /// <summary>Adds one batch.</summary>
    public abstract void Update(ReadOnlySpan<float> outputs, Array targets, int count, int outputSize);
    /// <summary>The value over everything added since <see cref="Reset"/>.</summary>
    public abstract double Result();

    /// <summary>
    /// The same batch update written as graph ops: from the model outputs <paramref name="outputs"/> (<c>[batch,
    /// outputSize]</c>, float) and the targets <paramref name="targets"/> (<c>[batch, targetSize]</c>, int64 class indices
    /// or float), a 1-D float value of static length holding the sums this metric accumulates (e.g. the number of correct
    /// samples), which <see cref="AddBatchSums"/> then adds. Null (the default) when the metric has no graph form for these
    /// shapes. Where the outputs live on a device, a <see cref="Session.TrainingSession"/> appends this to its graphs, so a
    /// step returns these few numbers instead of the outputs.
    /// </summary>
    public virtual Value? BatchSums(Value outputs, Value targets, int outputSize, int targetSize) => null;

    /// <summary>Adds one batch of <paramref name="count"/> samples (outputs <paramref name="outputSize"/> wide) from the values <see cref="BatchSums"/> computed for it.</summary>
    public virtual void AddBatchSums(ReadOnlySpan<float> sums, int count, int outputSize) =>
        throw new NotSupportedException($"metric '{Name}' has no graph form (BatchSums returns null), so it is updated from the outputs");

    /// <summary>True for a metric read only in evaluation (the session leaves it out of the train step).</summary>
    internal virtual bool EvaluationOnly => false;

    /// <summary>Index of the largest of <paramref name="row"/>.</summary>
    protected static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    /// <summary>The class index of sample <paramref name="i"/> (sparse targets, or the arg-max of one-hot rows).</summary>
    protected static int TargetClass(Array targets, int i, int outputSize) => targets switch
    {
        long[] l => (int)l[i],
        int[] n => n[i],
        float[] f when f.Length >= (i + 1) * outputSize && outputSize > 1 => ArgMax(f.AsSpan(i * outputSize, outputSize)),
        float[] f => f[i] >= 0.5f ? 1 : 0,
        _ => throw new ArgumentException($"unsupported target array {targets.GetType().Name}"),
    };

    /// <summary>The predicted class of a row: arg-max, or a 0.5 threshold for a single sigmoid output.</summary>
    protected static int PredictedClass(ReadOnlySpan<float> row) => row.Length == 1 ? (row[0] >= 0.5f ? 1 : 0) : ArgMax(row);
}
