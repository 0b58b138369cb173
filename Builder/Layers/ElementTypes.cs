using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Fills in the element type of a layer's intermediate values where shape inference left it undefined (an operator
/// without a rule yet). For the operators the layers use (Conv, pooling, normalisation, Transpose, ReduceMean, …)
/// the output element type is the input's by the ONNX definition, so this states a fact, never a guess; a known type
/// is left as it is. Without it, scalar arithmetic on such a value (x·c, x + ε) could not type its constant.
/// </summary>
internal static class ElementTypes
{
    /// <summary><paramref name="v"/>, its element type set to <paramref name="like"/>'s when it was undefined.</summary>
    public static Value As(this Value v, Value like)
    {
        if (v.ElementType == ElementType.Undefined && like.ElementType != ElementType.Undefined)
            v.Type = new TensorType(like.ElementType, v.Shape);
        return v;
    }
}
