using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxKit.Inference;

/// <summary>
/// The element types a <see cref="TensorValue"/> can carry, with their .NET types and their names in
/// ONNX (<c>float32</c>) and in the Open Inference Protocol (<c>FP32</c>).
/// </summary>
public static class ElementTypes
{
    private static readonly (TensorElementType Type, Type Clr, string Onnx, string Protocol)[] Table =
    [
        (TensorElementType.Float, typeof(float), "float32", "FP32"),
        (TensorElementType.Double, typeof(double), "float64", "FP64"),
        (TensorElementType.Int64, typeof(long), "int64", "INT64"),
        (TensorElementType.Int32, typeof(int), "int32", "INT32"),
        (TensorElementType.Int16, typeof(short), "int16", "INT16"),
        (TensorElementType.Int8, typeof(sbyte), "int8", "INT8"),
        (TensorElementType.UInt64, typeof(ulong), "uint64", "UINT64"),
        (TensorElementType.UInt32, typeof(uint), "uint32", "UINT32"),
        (TensorElementType.UInt16, typeof(ushort), "uint16", "UINT16"),
        (TensorElementType.UInt8, typeof(byte), "uint8", "UINT8"),
        (TensorElementType.Bool, typeof(bool), "bool", "BOOL"),
    ];

    /// <summary>True when tensors of this element type can be fed and read as host arrays.</summary>
    public static bool IsSupported(TensorElementType type) => Array.Exists(Table, e => e.Type == type);

    /// <summary>The .NET element type of <paramref name="type"/>.</summary>
    public static Type ClrType(TensorElementType type) => Row(type).Clr;

    /// <summary>Bytes per element in host memory and on the wire (bool: one byte).</summary>
    public static int Size(TensorElementType type) =>
        ClrType(type) == typeof(bool) ? 1 : System.Runtime.InteropServices.Marshal.SizeOf(ClrType(type));

    /// <summary>The ONNX name (<c>float32</c>, <c>int64</c> …); unsupported types give their enum name.</summary>
    public static string OnnxName(TensorElementType type) =>
        Array.Find(Table, e => e.Type == type) is { Onnx: not null } r ? r.Onnx : type.ToString().ToLowerInvariant();

    /// <summary>The Open Inference Protocol datatype (<c>FP32</c>, <c>INT64</c>, <c>BOOL</c> …).</summary>
    public static string ProtocolName(TensorElementType type) =>
        Array.Find(Table, e => e.Type == type) is { Protocol: not null } r ? r.Protocol : type == TensorElementType.String ? "BYTES" : type.ToString().ToUpperInvariant();

    /// <summary>The element type of a .NET type, or throws naming it.</summary>
    public static TensorElementType FromClr(Type clr) =>
        Array.Find(Table, e => e.Clr == clr) is { Clr: not null } r ? r.Type
        : throw new NotSupportedException($"element type {clr.Name} is not supported; use one of {string.Join(", ", Table.Select(e => e.Clr.Name))}");

    /// <summary>Parses an Open Inference Protocol datatype name (case-insensitive); false when unknown.</summary>
    public static bool TryParseProtocolName(string name, out TensorElementType type)
    {
        foreach (var e in Table)
            if (string.Equals(e.Protocol, name, StringComparison.OrdinalIgnoreCase)) { type = e.Type; return true; }
        type = default;
        return false;
    }

    /// <summary>All protocol datatype names that are supported, for error messages.</summary>
    public static IEnumerable<string> ProtocolNames => Table.Select(e => e.Protocol);

    /// <summary>True for FP32/FP64.</summary>
    public static bool IsFloatingPoint(TensorElementType type) =>
        type is TensorElementType.Float or TensorElementType.Double;

    private static (TensorElementType Type, Type Clr, string Onnx, string Protocol) Row(TensorElementType type)
    {
        foreach (var e in Table) if (e.Type == type) return e;
        throw new NotSupportedException($"element type {type} is not supported as a host array; supported: {string.Join(", ", Table.Select(e => e.Onnx))}");
    }
}
