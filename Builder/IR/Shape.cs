using System.Collections;
using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>An immutable tensor shape: a list of <see cref="Dim"/>s. A null <see cref="Shape"/> reference means "rank unknown".</summary>
public sealed class Shape : IReadOnlyList<Dim>, IEquatable<Shape>
{
    private readonly Dim[] _dims;

    /// <summary>Creates a shape from its dimensions.</summary>
    public Shape(params Dim[] dims) => _dims = (Dim[])dims.Clone();

    /// <summary>Creates a shape from its dimensions.</summary>
    public Shape(IEnumerable<Dim> dims) => _dims = dims.ToArray();

    /// <summary>Creates a fully known shape.</summary>
    public static Shape Of(params long[] dims) => new(dims.Select(Dim.Of));

    /// <summary>The shape of a scalar.</summary>
    public static Shape Scalar { get; } = new();

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <inheritdoc/>
    public int Count => _dims.Length;

    /// <inheritdoc/>
    public Dim this[int index] => _dims[index < 0 ? index + _dims.Length : index];

    /// <summary>True when every dimension is a known number.</summary>
    public bool IsFullyKnown => _dims.All(d => d.IsKnown);

    /// <summary>The sizes, where all are known; throws otherwise.</summary>
    public long[] ToArray()
    {
        if (!IsFullyKnown) throw new InvalidOperationException($"shape {this} is not fully known");
        return _dims.Select(d => d.Value!.Value).ToArray();
    }

    /// <summary>The number of elements, where all dimensions are known.</summary>
    public long? ElementCount => IsFullyKnown ? _dims.Aggregate(1L, (a, d) => a * d.Value!.Value) : null;

    /// <summary>Dimensions as an array (a copy).</summary>
    public Dim[] Dims => (Dim[])_dims.Clone();

    /// <inheritdoc/>
    public IEnumerator<Dim> GetEnumerator() => ((IEnumerable<Dim>)_dims).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _dims.GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && _dims.SequenceEqual(other._dims);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Shape);
    /// <inheritdoc/>
    public override int GetHashCode() => _dims.Aggregate(17, (h, d) => h * 31 + d.GetHashCode());

    /// <inheritdoc/>
    public override string ToString() => "[" + string.Join(", ", _dims.Select(d => d.ToString())) + "]";

    /// <summary>Converts to ONNX's shape message.</summary>
    public TensorShapeProto ToProto()
    {
        var p = new TensorShapeProto();
        foreach (var d in _dims)
        {
            var pd = new TensorShapeProto.Types.Dimension();
            if (d.IsKnown) pd.DimValue = d.Value!.Value;
            else if (d.Symbol is not null) pd.DimParam = d.Symbol;
            p.Dim.Add(pd);
        }
        return p;
    }

    /// <summary>Reads ONNX's shape message (null in, null out: rank unknown).</summary>
    public static Shape? FromProto(TensorShapeProto? p)
    {
        if (p is null) return null;
        return new Shape(p.Dim.Select(d =>
            d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 ? Dim.Of(d.DimValue)
            : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? Dim.Sym(d.DimParam)
            : Dim.Unknown));
    }
}
