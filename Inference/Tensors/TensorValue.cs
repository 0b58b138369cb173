using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxKit.Inference;

/// <summary>
/// A tensor handed to or returned by a <see cref="Predictor"/>: an element type, a shape and either a host
/// array (fed to ONNX Runtime without a copy: the array is pinned for the run) or a caller-owned
/// <see cref="OrtValue"/> (borrowed, never disposed here). Shapes and lengths are checked against the model
/// when the tensor is fed, so the error can name the input.
/// </summary>
public sealed class TensorValue
{
    private TensorValue(TensorElementType type, long[] shape, Array? data, OrtValue? ort)
    {
        ElementType = type; Shape = shape; Data = data; Ort = ort;
    }

    /// <summary>Type of each element; must match the CLR type of the data array.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>Dimensions, outermost first (row-major data); empty for a scalar.</summary>
    public long[] Shape { get; }

    /// <summary>The host array (flat, row-major), or null when the tensor is a borrowed <see cref="OrtValue"/>.</summary>
    public Array? Data { get; }

    /// <summary>The borrowed ONNX Runtime value, or null for host tensors.</summary>
    public OrtValue? Ort { get; }

    /// <summary>Number of elements the shape describes.</summary>
    public long ShapeElementCount => ShapeCount(Shape);

    /// <summary>Number of elements actually held.</summary>
    public long DataLength => Data?.LongLength ?? Ort!.GetTensorTypeAndShape().ElementCount;

    /// <summary>A tensor over a host array of any supported element type (not copied).</summary>
    public static TensorValue Create<T>(T[] data, params long[] shape) where T : unmanaged =>
        new(ElementTypes.FromClr(typeof(T)), shape, data ?? throw new ArgumentNullException(nameof(data)), null);

    /// <summary>A tensor over a host array whose .NET element type decides the tensor type (not copied).</summary>
    public static TensorValue FromArray(Array data, params long[] shape) =>
        new(ElementTypes.FromClr(data.GetType().GetElementType()!), shape, data, null);

    /// <summary>A float32 tensor.</summary>
    public static TensorValue FromFloats(float[] data, params long[] shape) => Create(data, shape);
    /// <summary>A float64 tensor.</summary>
    public static TensorValue FromDoubles(double[] data, params long[] shape) => Create(data, shape);
    /// <summary>An int64 tensor.</summary>
    public static TensorValue FromInt64s(long[] data, params long[] shape) => Create(data, shape);
    /// <summary>An int32 tensor.</summary>
    public static TensorValue FromInt32s(int[] data, params long[] shape) => Create(data, shape);
    /// <summary>A bool tensor.</summary>
    public static TensorValue FromBools(bool[] data, params long[] shape) => Create(data, shape);

    /// <summary>A tensor over a <see cref="DenseTensor{T}"/>'s buffer (not copied when the buffer is a whole array).</summary>
    public static TensorValue FromDenseTensor<T>(DenseTensor<T> tensor) where T : unmanaged
    {
        var shape = tensor.Dimensions.ToArray().Select(d => (long)d).ToArray();
        T[] data = MemoryMarshal.TryGetArray<T>(tensor.Buffer, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length
            ? seg.Array : tensor.Buffer.ToArray();
        return Create(data, shape);
    }

    /// <summary>Wraps a caller-owned tensor <see cref="OrtValue"/>; the caller keeps ownership and disposes it.</summary>
    public static TensorValue FromOrtValue(OrtValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.IsTensor) throw new ArgumentException("only tensor OrtValues can be fed to a Predictor", nameof(value));
        var info = value.GetTensorTypeAndShape();
        return new TensorValue(info.ElementDataType, info.Shape, null, value);
    }

    /// <summary>The elements as a span of <typeparamref name="T"/> (which must be the element type).</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        if (ElementTypes.FromClr(typeof(T)) != ElementType)
            throw new InvalidOperationException($"tensor holds {ElementTypes.OnnxName(ElementType)}, not {typeof(T).Name}");
        return Data is T[] a ? a : Ort!.GetTensorDataAsSpan<T>();
    }

    /// <summary>The elements copied to a new array (or the held array itself for host tensors).</summary>
    public T[] ToArray<T>() where T : unmanaged => Data as T[] ?? AsSpan<T>().ToArray();

    /// <summary>The elements as float32, converting from any numeric element type.</summary>
    public float[] ToFloats() => Data switch
    {
        float[] f => f,
        null => ToHost().ToFloats(),
        _ => ToDoubles().Select(d => (float)d).ToArray(),
    };

    /// <summary>The elements as float64, converting from any numeric element type (bool → 0/1).</summary>
    public double[] ToDoubles()
    {
        var a = Data ?? ToHost().Data!;
        if (a is double[] d) return d;
        if (a is bool[] b) return b.Select(x => x ? 1.0 : 0.0).ToArray();
        var r = new double[a.Length];
        for (int i = 0; i < r.Length; i++) r[i] = Convert.ToDouble(a.GetValue(i));
        return r;
    }

    /// <summary>A host copy of a borrowed OrtValue tensor (the tensor itself when it is already on the host).</summary>
    public TensorValue ToHost() => Data is not null ? this : FromOrtValueCopy(Ort!);

    /// <summary>Copies an ORT tensor's elements to a new host tensor.</summary>
    public static TensorValue FromOrtValueCopy(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        Array data = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray(),
            TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray(),
            TensorElementType.Int16 => value.GetTensorDataAsSpan<short>().ToArray(),
            TensorElementType.Int8 => value.GetTensorDataAsSpan<sbyte>().ToArray(),
            TensorElementType.UInt64 => value.GetTensorDataAsSpan<ulong>().ToArray(),
            TensorElementType.UInt32 => value.GetTensorDataAsSpan<uint>().ToArray(),
            TensorElementType.UInt16 => value.GetTensorDataAsSpan<ushort>().ToArray(),
            TensorElementType.UInt8 => value.GetTensorDataAsSpan<byte>().ToArray(),
            TensorElementType.Bool => value.GetTensorDataAsSpan<bool>().ToArray(),
            var t => throw new NotSupportedException($"reading {ElementTypes.OnnxName(t)} tensors to the host is not supported"),
        };
        return new TensorValue(info.ElementDataType, info.Shape, data, null);
    }

    /// <summary>An OrtValue over the host array (pinned, no copy), or the borrowed value itself.</summary>
    internal OrtValue ToOrtValue(out bool owned)
    {
        owned = Data is not null;
        if (Ort is not null) return Ort;
        return Data switch
        {
            float[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            double[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            long[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            int[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            short[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            sbyte[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            ulong[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            uint[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            ushort[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            byte[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            bool[] a => OrtValue.CreateTensorValueFromMemory(a, Shape),
            _ => throw new NotSupportedException($"arrays of {Data!.GetType().GetElementType()!.Name} are not supported"),
        };
    }

    /// <summary>Product of the dimensions.</summary>
    public static long ShapeCount(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    /// <summary>A shape written as <c>[2, 3]</c>.</summary>
    public static string ShapeText(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{ElementTypes.OnnxName(ElementType)} {ShapeText(Shape)}";
}
