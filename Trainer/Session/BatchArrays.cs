using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.IR;

namespace OnnxKit.Training.Session;

/// <summary>The managed arrays that hold a batch input of each element type the session feeds, and their ORT tensors.</summary>
internal static class BatchArrays
{
    /// <summary>An array of <paramref name="length"/> elements of <paramref name="type"/>.</summary>
    public static Array Create(ElementType type, int length) => type switch
    {
        ElementType.Float32 => new float[length],
        ElementType.Int64 => new long[length],
        ElementType.Int32 => new int[length],
        ElementType.Float64 => new double[length],
        _ => throw new NotSupportedException($"batch inputs of element type {type.OnnxName()} are not supported (float, double, int32, int64 are)"),
    };

    /// <summary>The ORT element type of <paramref name="type"/>.</summary>
    public static TensorElementType OrtType(ElementType type) => type switch
    {
        ElementType.Float32 => TensorElementType.Float,
        ElementType.Int64 => TensorElementType.Int64,
        ElementType.Int32 => TensorElementType.Int32,
        ElementType.Float64 => TensorElementType.Double,
        _ => throw new NotSupportedException($"batch inputs of element type {type.OnnxName()} are not supported (float, double, int32, int64 are)"),
    };

    /// <summary>An ORT tensor over the array's memory (no copy).</summary>
    public static OrtValue Wrap(Array a, long[] shape) => a switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, shape),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, shape),
        int[] n => OrtValue.CreateTensorValueFromMemory(n, shape),
        double[] d => OrtValue.CreateTensorValueFromMemory(d, shape),
        _ => throw new NotSupportedException($"no tensor over {a.GetType().Name}"),
    };

    /// <summary>Copies the array into a host tensor of its element type.</summary>
    public static void CopyTo(Array a, OrtValue tensor)
    {
        switch (a)
        {
            case float[] f: f.CopyTo(tensor.GetTensorMutableDataAsSpan<float>()); break;
            case long[] l: l.CopyTo(tensor.GetTensorMutableDataAsSpan<long>()); break;
            case int[] n: n.CopyTo(tensor.GetTensorMutableDataAsSpan<int>()); break;
            case double[] d: d.CopyTo(tensor.GetTensorMutableDataAsSpan<double>()); break;
            default: throw new NotSupportedException($"no tensor of {a.GetType().Name}");
        }
    }
}
