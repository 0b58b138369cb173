namespace OnnxKit.Training.Data;

/// <summary>
/// One batch in a reusable buffer. The arrays are allocated once per loader on the pinned object heap, so the
/// trainer can wrap them into ORT tensors without copying; they hold <see cref="Capacity"/> samples, of which the
/// first <see cref="Count"/> are this batch (a last, partial batch is shorter: use the shapes, not the array
/// lengths). A batch is valid until the loader is asked for the next one, which may overwrite it.
/// </summary>
public sealed class Batch
{
    internal Batch(int capacity, IReadOnlyList<int> sampleShape, bool hasLabels, int targetWidth)
    {
        Capacity = capacity;
        SampleSize = sampleShape.Aggregate(1, (a, b) => a * b);
        Features = GC.AllocateArray<float>(capacity * SampleSize, pinned: true);
        FeatureShape = [0, .. sampleShape.Select(d => (long)d)];
        if (hasLabels) Labels = GC.AllocateArray<long>(capacity, pinned: true);
        if (targetWidth > 0)
        {
            Targets = GC.AllocateArray<float>(capacity * targetWidth, pinned: true);
            TargetShape = [0, targetWidth];
        }
        else TargetShape = [0];
    }

    /// <summary>Features, [Count, sample shape…] at the start of the array.</summary>
    public float[] Features { get; }
    /// <summary>Shape of the features of this batch: [Count, sample shape…].</summary>
    public long[] FeatureShape { get; }
    /// <summary>Class labels [Count] (null for regression datasets).</summary>
    public long[]? Labels { get; }
    /// <summary>Float targets [Count, width]: regression targets, or one-hot labels (null for plain class labels).</summary>
    public float[]? Targets { get; }
    /// <summary>Shape of the targets: [Count, width] for <see cref="Targets"/>, [Count] for <see cref="Labels"/> alone.</summary>
    public long[] TargetShape { get; }
    /// <summary>Samples in this batch.</summary>
    public int Count { get; private set; }
    /// <summary>Samples the buffers hold (the batch size).</summary>
    public int Capacity { get; }
    /// <summary>Floats per sample.</summary>
    public int SampleSize { get; }
    /// <summary>The epoch this batch belongs to.</summary>
    public int Epoch { get; private set; }
    /// <summary>The batch's position within its epoch (0-based).</summary>
    public int Index { get; private set; }

    /// <summary>The features of this batch only.</summary>
    public Memory<float> FeatureMemory => Features.AsMemory(0, Count * SampleSize);

    internal void SetPosition(int epoch, int index, int count)
    {
        Epoch = epoch; Index = index; Count = count;
        FeatureShape[0] = count;
        TargetShape[0] = count;
    }
}
