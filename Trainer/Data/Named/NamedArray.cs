using OnnxKit.IR;

namespace OnnxKit.Training.Data;

/// <summary>
/// One named array of a <see cref="NamedDataset"/>: a sample-major <c>float[]</c>, <c>long[]</c>, <c>int[]</c> or
/// <c>double[]</c> holding <see cref="Count"/> samples of <see cref="SampleShape"/> (an empty shape: one scalar per sample,
/// such as a class label).
/// </summary>
public sealed class NamedArray
{
    /// <summary>The values, sample after sample.</summary>
    public Array Data { get; }
    /// <summary>Element type of <see cref="Data"/>.</summary>
    public ElementType ElementType { get; }
    /// <summary>Shape of one sample ([] for a scalar per sample).</summary>
    public int[] SampleShape { get; }
    /// <summary>Elements per sample.</summary>
    public int SampleSize { get; }
    /// <summary>Number of samples.</summary>
    public int Count { get; }

    private NamedArray(Array data, ElementType type, int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Any(d => d <= 0))
            throw new ArgumentException($"sample shape [{string.Join(", ", sampleShape)}] has a non-positive dimension", nameof(sampleShape));
        SampleSize = sampleShape.Aggregate(1, (a, b) => checked(a * b));
        if (data.Length % SampleSize != 0)
            throw new ArgumentException($"{data.Length} values do not hold whole samples of shape [{string.Join(", ", sampleShape)}] ({SampleSize} values each)", nameof(data));
        Data = data; ElementType = type; SampleShape = (int[])sampleShape.Clone(); Count = data.Length / SampleSize;
    }

    /// <summary>Float features (or float targets) of samples shaped <paramref name="sampleShape"/>.</summary>
    public static NamedArray Float32(float[] data, params int[] sampleShape) => new(data, ElementType.Float32, sampleShape);
    /// <summary>Int64 values (token ids, class labels) of samples shaped <paramref name="sampleShape"/> (none: one per sample).</summary>
    public static NamedArray Int64(long[] data, params int[] sampleShape) => new(data, ElementType.Int64, sampleShape);
    /// <summary>Int32 values of samples shaped <paramref name="sampleShape"/>.</summary>
    public static NamedArray Int32(int[] data, params int[] sampleShape) => new(data, ElementType.Int32, sampleShape);
    /// <summary>Float64 values of samples shaped <paramref name="sampleShape"/>.</summary>
    public static NamedArray Float64(double[] data, params int[] sampleShape) => new(data, ElementType.Float64, sampleShape);

    /// <summary>Element type and sample shape as text, for messages.</summary>
    public string Describe() => $"{ElementType.OnnxName()} [{string.Join(", ", SampleShape)}]";

    /// <summary>Copies the samples at <paramref name="rows"/>, in that order, to the start of <paramref name="destination"/> (an array of the same element type).</summary>
    public void CopyRows(ReadOnlySpan<int> rows, Array destination)
    {
        if (destination.GetType() != Data.GetType())
            throw new ArgumentException($"a {Describe()} array is copied into {destination.GetType().Name}, expected {Data.GetType().Name}");
        int size = SampleSize;
        for (int j = 0; j < rows.Length; j++) Array.Copy(Data, (long)rows[j] * size, destination, (long)j * size, size);
    }

    /// <summary>A new array holding copies of the samples at <paramref name="rows"/>, in that order.</summary>
    public NamedArray Subset(IReadOnlyList<int> rows)
    {
        var data = Array.CreateInstance(Data.GetType().GetElementType()!, (long)rows.Count * SampleSize);
        CopyRows(rows.ToArray(), data);
        return new NamedArray(data, ElementType, SampleShape);
    }
}
