using Google.Protobuf;
using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>
/// A constant tensor of a graph (weights, biases, buffers). Its <see cref="Proto"/> carries the name,
/// type, dimensions and, for inline tensors, the data exactly as read; <see cref="DataSource"/> holds the
/// bytes of a tensor kept outside the message (external data, or generated lazily).
/// </summary>
public sealed class Initializer
{
    /// <summary>The tensor message (without external-data fields when <see cref="DataSource"/> is set).</summary>
    public TensorProto Proto { get; }

    /// <summary>Where the raw little-endian bytes live when they are not inline; null for inline tensors.</summary>
    /// <remarks>Save re-points it when it rewrites the external-data file this source reads from.</remarks>
    public TensorDataSource? DataSource { get; internal set; }

    /// <summary>Creates an initializer from a message with inline data, or from metadata plus a data source.</summary>
    public Initializer(TensorProto proto, TensorDataSource? dataSource = null)
    {
        Proto = proto; DataSource = dataSource;
        if (dataSource is not null && ByteSize is long expected && dataSource.Length != expected)
            throw new InvalidDataException($"initializer '{proto.Name}': data has {dataSource.Length} bytes, its type and shape need {expected}");
    }

    /// <summary>Name of the tensor (the value name in the graph).</summary>
    public string Name { get => Proto.Name; set => Proto.Name = value; }

    /// <summary>The tensor's <c>data_type</c>, as an enum.</summary>
    public ElementType ElementType => (ElementType)Proto.DataType;

    /// <summary>A copy of the tensor's dimensions.</summary>
    public long[] Dims => Proto.Dims.ToArray();

    /// <summary>Number of elements.</summary>
    public long ElementCount => Proto.Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Size of the data in bytes where the element size is fixed.</summary>
    public long? ByteSize => ElementType.SizeOf() is int s and > 0 ? s * ElementCount : null;

    /// <summary>Its type as a <see cref="TensorType"/>.</summary>
    public TensorType Type => new(ElementType, Shape.Of(Dims));

    /// <summary>The data as raw little-endian bytes (tensors under 2 GB).</summary>
    public byte[] RawBytes() => DataSource?.ReadAll() ?? TensorData.RawBytes(Proto);

    /// <summary>A self-contained copy of the message with the data inline (tensors under 2 GB).</summary>
    public TensorProto ToInlineProto()
    {
        if (DataSource is null) return Proto.Clone();
        var p = Proto.Clone();
        p.RawData = ByteString.CopyFrom(DataSource.ReadAll());
        return p;
    }

    /// <summary>The data as float32 values (any numeric stored type is converted).</summary>
    public float[] ToFloatArray() => TensorData.ToFloatArray(ToInlineProto());
}
