using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>Element types of ONNX tensors; the numeric values are ONNX's <c>TensorProto.DataType</c> codes.</summary>
public enum ElementType
{
    /// <summary>Not known (e.g. an output of an operator without a shape rule).</summary>
    Undefined = 0,
    /// <summary>32-bit IEEE float.</summary>
    Float32 = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer (indices, shapes).</summary>
    Int64 = 7,
    /// <summary>UTF-8 string.</summary>
    String = 8,
    /// <summary>Boolean.</summary>
    Bool = 9,
    /// <summary>IEEE half precision.</summary>
    Float16 = 10,
    /// <summary>64-bit IEEE float.</summary>
    Float64 = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex of two float32.</summary>
    Complex64 = 14,
    /// <summary>Complex of two float64.</summary>
    Complex128 = 15,
    /// <summary>Brain float 16.</summary>
    BFloat16 = 16,
}

/// <summary>Facts about <see cref="ElementType"/> values.</summary>
public static class ElementTypes
{
    /// <summary>Size of one element in bytes, or 0 where it is not fixed (strings, undefined).</summary>
    public static int SizeOf(this ElementType t) => t switch
    {
        ElementType.Float32 or ElementType.Int32 or ElementType.UInt32 => 4,
        ElementType.Float64 or ElementType.Int64 or ElementType.UInt64 or ElementType.Complex64 => 8,
        ElementType.Complex128 => 16,
        ElementType.Float16 or ElementType.BFloat16 or ElementType.Int16 or ElementType.UInt16 => 2,
        ElementType.UInt8 or ElementType.Int8 or ElementType.Bool => 1,
        _ => 0,
    };

    /// <summary>True for float16/bfloat16/float32/float64: the types gradients flow through.</summary>
    public static bool IsFloat(this ElementType t) =>
        t is ElementType.Float32 or ElementType.Float64 or ElementType.Float16 or ElementType.BFloat16;

    /// <summary>True for the signed and unsigned integer types.</summary>
    public static bool IsInteger(this ElementType t) =>
        t is ElementType.Int8 or ElementType.Int16 or ElementType.Int32 or ElementType.Int64
          or ElementType.UInt8 or ElementType.UInt16 or ElementType.UInt32 or ElementType.UInt64;

    /// <summary>ONNX's lower-case name of the type (<c>float</c>, <c>int64</c>, …) as used in error messages.</summary>
    public static string OnnxName(this ElementType t) => t switch
    {
        ElementType.Float32 => "float",
        ElementType.Float64 => "double",
        ElementType.Float16 => "float16",
        ElementType.BFloat16 => "bfloat16",
        _ => t.ToString().ToLowerInvariant(),
    };

    internal static ElementType FromProto(int code) => (ElementType)code;
}
