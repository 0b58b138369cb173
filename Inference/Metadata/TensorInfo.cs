using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxKit.Inference;

/// <summary>A model input or output as the model declares it: name, element type and shape.</summary>
/// <param name="Name">The value name in the graph.</param>
/// <param name="ElementType">Element type.</param>
/// <param name="Dimensions">Dimensions; -1 where the size is symbolic or unknown.</param>
/// <param name="SymbolicDimensions">The symbolic name of each dimension (empty where it is fixed or unnamed).</param>
public sealed record TensorInfo(string Name, TensorElementType ElementType, long[] Dimensions, string[] SymbolicDimensions)
{
    /// <summary>The Open Inference Protocol datatype name (<c>FP32</c> …).</summary>
    public string ProtocolDatatype => ElementTypes.ProtocolName(ElementType);

    /// <summary>True when dimension <paramref name="axis"/> accepts any size.</summary>
    public bool IsDynamic(int axis) => Dimensions[axis] < 0;

    /// <summary>The shape written with symbolic names, e.g. <c>[batch, 3]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Dimensions.Select((d, i) =>
        d >= 0 ? d.ToString() : SymbolicDimensions.Length > i && SymbolicDimensions[i] is { Length: > 0 } s ? s : "?")) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({ElementTypes.OnnxName(ElementType)} {ShapeText})";

    internal static TensorInfo From(string name, NodeMetadata m) =>
        new(name, m.IsTensor ? m.ElementDataType : TensorElementType.DataTypeMax,
            m.IsTensor ? m.Dimensions.Select(d => (long)d).ToArray() : [],
            m.IsTensor ? m.SymbolicDimensions.Select(s => s ?? "").ToArray() : []);
}
