using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>The static type of a tensor value: its element type and (possibly partial, possibly unknown-rank) shape.</summary>
public sealed record TensorType(ElementType ElementType, Shape? Shape)
{
    /// <summary>Rank, or null where unknown.</summary>
    public int? Rank => Shape?.Rank;

    /// <summary>Converts to ONNX's type message.</summary>
    public TypeProto ToProto()
    {
        var t = new TypeProto.Types.Tensor { ElemType = (int)ElementType };
        if (Shape is not null) t.Shape = Shape.ToProto();
        return new TypeProto { TensorType = t };
    }

    /// <summary>Reads a tensor type from ONNX's type message; null for non-tensor types.</summary>
    public static TensorType? FromProto(TypeProto? p)
    {
        if (p?.TensorType is null) return null;
        return new TensorType((ElementType)p.TensorType.ElemType, p.TensorType.Shape is null ? null : Shape.FromProto(p.TensorType.Shape));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{ElementType.OnnxName()}{Shape?.ToString() ?? "[?]"}";
}
