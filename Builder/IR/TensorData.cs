using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>Converts between <c>TensorProto</c> messages and .NET arrays.</summary>
public static class TensorData
{
    /// <summary>A float32 tensor with the data as raw bytes.</summary>
    public static TensorProto FromFloats(string name, float[] data, params long[] dims) => FromSpan<float>(name, ElementType.Float32, data, dims);
    /// <summary>A float64 tensor.</summary>
    public static TensorProto FromDoubles(string name, double[] data, params long[] dims) => FromSpan<double>(name, ElementType.Float64, data, dims);
    /// <summary>An int64 tensor.</summary>
    public static TensorProto FromInt64s(string name, long[] data, params long[] dims) => FromSpan<long>(name, ElementType.Int64, data, dims);
    /// <summary>An int32 tensor.</summary>
    public static TensorProto FromInt32s(string name, int[] data, params long[] dims) => FromSpan<int>(name, ElementType.Int32, data, dims);
    /// <summary>A bool tensor.</summary>
    public static TensorProto FromBools(string name, bool[] data, params long[] dims) =>
        FromSpan<byte>(name, ElementType.Bool, data.Select(b => (byte)(b ? 1 : 0)).ToArray(), dims);

    /// <summary>A tensor of the given element type from a span of unmanaged values (stored as raw little-endian bytes).</summary>
    public static TensorProto FromSpan<T>(string name, ElementType type, ReadOnlySpan<T> data, params long[] dims) where T : unmanaged
    {
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", dims)}] needs {count} elements, got {data.Length}");
        var p = new TensorProto { Name = name, DataType = (int)type };
        p.Dims.AddRange(dims);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("OnnxKit needs a little-endian machine");
        p.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data));
        return p;
    }

    /// <summary>A scalar (rank-0) tensor of the given element type holding <paramref name="value"/>.</summary>
    public static TensorProto Scalar(string name, ElementType type, double value) => type switch
    {
        ElementType.Float32 => FromSpan<float>(name, type, [(float)value]),
        ElementType.Float64 => FromSpan<double>(name, type, [value]),
        ElementType.Float16 => FromSpan<Half>(name, type, [(Half)value]),
        ElementType.Int64 => FromSpan<long>(name, type, [(long)value]),
        ElementType.Int32 => FromSpan<int>(name, type, [(int)value]),
        ElementType.Int8 => FromSpan<sbyte>(name, type, [(sbyte)value]),
        ElementType.UInt8 => FromSpan<byte>(name, type, [(byte)value]),
        ElementType.Bool => FromSpan<byte>(name, type, [(byte)(value != 0 ? 1 : 0)]),
        _ => throw new NotSupportedException($"scalar constants of type {type.OnnxName()} are not supported"),
    };

    /// <summary>The data of an inline tensor as raw little-endian bytes, whichever field held it.</summary>
    public static byte[] RawBytes(TensorProto p)
    {
        if (p.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidOperationException($"tensor '{p.Name}' keeps its data externally; read it through its Initializer");
        if (p.HasRawData) return p.RawData.ToByteArray();
        var t = (ElementType)p.DataType;
        switch (t)
        {
            case ElementType.Float32: return MemoryMarshal.AsBytes(p.FloatData.ToArray().AsSpan()).ToArray();
            case ElementType.Float64: return MemoryMarshal.AsBytes(p.DoubleData.ToArray().AsSpan()).ToArray();
            case ElementType.Int64: return MemoryMarshal.AsBytes(p.Int64Data.ToArray().AsSpan()).ToArray();
            case ElementType.UInt64: return MemoryMarshal.AsBytes(p.Uint64Data.ToArray().AsSpan()).ToArray();
            case ElementType.UInt32: return MemoryMarshal.AsBytes(p.Uint64Data.Select(x => (uint)x).ToArray().AsSpan()).ToArray();
            case ElementType.Int32: return MemoryMarshal.AsBytes(p.Int32Data.ToArray().AsSpan()).ToArray();
            case ElementType.Int16: return MemoryMarshal.AsBytes(p.Int32Data.Select(x => (short)x).ToArray().AsSpan()).ToArray();
            case ElementType.UInt16: case ElementType.Float16: case ElementType.BFloat16:
                return MemoryMarshal.AsBytes(p.Int32Data.Select(x => (ushort)x).ToArray().AsSpan()).ToArray();
            case ElementType.Int8: case ElementType.UInt8: case ElementType.Bool:
                return p.Int32Data.Select(x => (byte)x).ToArray();
            default: throw new NotSupportedException($"tensor '{p.Name}': reading data of type {t.OnnxName()} is not supported");
        }
    }

    /// <summary>Reads the data as float32 (from any numeric type).</summary>
    public static float[] ToFloatArray(TensorProto p) =>
        (ElementType)p.DataType == ElementType.Float32 ? Read<float>(p) : ToDoubleArray(p).Select(d => (float)d).ToArray();

    /// <summary>Reads the data as float64 (from any numeric type).</summary>
    public static double[] ToDoubleArray(TensorProto p)
    {
        var t = (ElementType)p.DataType;
        return t switch
        {
            ElementType.Float32 => Read<float>(p).Select(x => (double)x).ToArray(),
            ElementType.Float64 => Read<double>(p),
            ElementType.Float16 => Read<Half>(p).Select(x => (double)x).ToArray(),
            ElementType.Int64 => Read<long>(p).Select(x => (double)x).ToArray(),
            ElementType.Int32 => Read<int>(p).Select(x => (double)x).ToArray(),
            ElementType.Int16 => Read<short>(p).Select(x => (double)x).ToArray(),
            ElementType.UInt16 => Read<ushort>(p).Select(x => (double)x).ToArray(),
            ElementType.Int8 => Read<sbyte>(p).Select(x => (double)x).ToArray(),
            ElementType.UInt8 or ElementType.Bool => Read<byte>(p).Select(x => (double)x).ToArray(),
            ElementType.UInt32 => Read<uint>(p).Select(x => (double)x).ToArray(),
            ElementType.UInt64 => Read<ulong>(p).Select(x => (double)x).ToArray(),
            _ => throw new NotSupportedException($"tensor '{p.Name}': cannot read {t.OnnxName()} as numbers"),
        };
    }

    /// <summary>Reads integer data as int64 (shape and index tensors).</summary>
    public static long[] ToInt64Array(TensorProto p)
    {
        var t = (ElementType)p.DataType;
        return t switch
        {
            ElementType.Int64 => Read<long>(p),
            ElementType.Int32 => Read<int>(p).Select(x => (long)x).ToArray(),
            _ => ToDoubleArray(p).Select(x => (long)x).ToArray(),
        };
    }

    /// <summary>Reads the data reinterpreted as <typeparamref name="T"/> (the caller picks the matching type).</summary>
    public static T[] Read<T>(TensorProto p) where T : unmanaged => MemoryMarshal.Cast<byte, T>(RawBytes(p)).ToArray();
}
