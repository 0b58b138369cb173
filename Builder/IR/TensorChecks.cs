using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>
/// Checks of a tensor message as read from a file, before anything sizes a buffer from it: every dimension
/// non-negative, the element count and byte length free of overflow, and the data held (raw bytes or typed values)
/// exactly as long as the type and shape need. A file that fails them is refused with an
/// <see cref="OnnxModelException"/> naming the tensor, instead of wrapping to a wrong size later.
/// </summary>
internal static class TensorChecks
{
    /// <summary>The highest <c>TensorProto.DataType</c> code ONNX defines (FLOAT4E2M1).</summary>
    private const int LastDataType = 23;

    /// <summary>The number of elements of <paramref name="dims"/>, refusing negative dimensions and overflow.</summary>
    public static long ElementCount(string tensor, IReadOnlyList<long> dims)
    {
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw new OnnxModelException($"tensor '{tensor}': dimension {d} in [{string.Join(", ", dims)}] is negative; expected sizes ≥ 0");
            try { count = checked(count * d); }
            catch (OverflowException) { throw new OnnxModelException($"tensor '{tensor}': the element count of dims [{string.Join(", ", dims)}] overflows a 64-bit integer"); }
        }
        return count;
    }

    /// <summary>Bytes the data of <paramref name="t"/> occupies as raw little-endian bytes, or null where it is not fixed (strings).</summary>
    public static long? ByteLength(TensorProto t)
    {
        long count = ElementCount(t.Name, t.Dims);
        CheckDataType(t);
        long perElement = t.DataType switch
        {
            (int)ElementType.String => -1,
            >= 17 and <= 20 => 1, // float8 variants
            21 or 22 or 23 => 0,   // 4-bit types, two per byte
            _ => ((ElementType)t.DataType).SizeOf(),
        };
        if (perElement < 0) return null;
        if (perElement == 0) return count / 2 + count % 2;
        try { return checked(count * perElement); }
        catch (OverflowException) { throw new OnnxModelException($"tensor '{t.Name}': {count} elements of {((ElementType)t.DataType).OnnxName()} overflow a 64-bit byte length"); }
    }

    /// <summary>Checks an inline tensor: its shape, type and that the data it holds matches them.</summary>
    public static void CheckInline(TensorProto t)
    {
        long? bytes = ByteLength(t);
        long count = ElementCount(t.Name, t.Dims);
        long values = (long)t.FloatData.Count + t.Int32Data.Count + t.StringData.Count + t.Int64Data.Count + t.DoubleData.Count + t.Uint64Data.Count;
        string type = TypeName(t.DataType);
        if (t.HasRawData)
        {
            if (values > 0) throw new OnnxModelException($"tensor '{t.Name}' holds both raw_data and {values} typed values; expected one of them");
            if (bytes is null) throw new OnnxModelException($"tensor '{t.Name}': {type} data cannot be stored as raw_data; expected string_data");
            if (t.RawData.Length != bytes)
                throw new OnnxModelException($"tensor '{t.Name}': raw_data has {t.RawData.Length} bytes, but {count} elements of {type} (dims [{string.Join(", ", t.Dims)}]) need {bytes}");
            return;
        }
        if (t.DataType is 21 or 22 or 23 or >= 17 and <= 20) return; // packed in int32_data; ONNX Runtime checks those itself
        long expected = t.DataType is (int)ElementType.Complex64 or (int)ElementType.Complex128 ? 2 * count : count;
        if (values != expected)
            throw new OnnxModelException($"tensor '{t.Name}' holds {values} values, but {count} elements of {type} (dims [{string.Join(", ", t.Dims)}]) need {expected}");
    }

    private static void CheckDataType(TensorProto t)
    {
        if (t.DataType is <= 0 or > LastDataType)
            throw new OnnxModelException($"tensor '{t.Name}': data type {t.DataType} is not an ONNX tensor type; expected a TensorProto.DataType code 1..{LastDataType}");
    }

    private static string TypeName(int code) => code <= 16 ? ((ElementType)code).OnnxName() : $"data type {code}";

    /// <summary>Checks the tensors held in a node's attributes (a Constant's value, a subgraph's initializers), recursively.</summary>
    public static void CheckAttributes(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            if (a.T is { } t && t.DataLocation != TensorProto.Types.DataLocation.External) CheckInline(t);
            foreach (var x in a.Tensors) if (x.DataLocation != TensorProto.Types.DataLocation.External) CheckInline(x);
            var graphs = a.G is null ? a.Graphs : a.Graphs.Append(a.G);
            foreach (var g in graphs)
            {
                foreach (var x in g.Initializer) if (x.DataLocation != TensorProto.Types.DataLocation.External) CheckInline(x);
                foreach (var inner in g.Node) CheckAttributes(inner);
            }
        }
    }
}
