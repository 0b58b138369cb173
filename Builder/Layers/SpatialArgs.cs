namespace OnnxKit;

/// <summary>
/// A per-spatial-axis size (kernel, stride, dilation, output padding) given PyTorch-style: one number for every
/// axis (<c>3</c>), a pair (<c>(3, 5)</c>) or an array (<c>new long[] { 3, 5 }</c>).
/// </summary>
public readonly struct SpatialSize
{
    private readonly long[] _values;

    private SpatialSize(long[] values) => _values = values;

    /// <summary>The same size on every axis.</summary>
    public static implicit operator SpatialSize(long value) => new([value]);
    /// <summary>(height, width).</summary>
    public static implicit operator SpatialSize((int, int) hw) => new([hw.Item1, hw.Item2]);
    /// <summary>One size per axis.</summary>
    public static implicit operator SpatialSize(long[] values) => new((long[])values.Clone());

    /// <summary>The sizes for <paramref name="axes"/> spatial axes; throws naming <paramref name="what"/> when the count does not fit.</summary>
    public long[] For(int axes, string layer, string what, long min)
    {
        var v = _values ?? throw new ArgumentException($"{layer}: {what} is missing");
        long[] r = v.Length == 1 ? Enumerable.Repeat(v[0], axes).ToArray()
            : v.Length == axes ? (long[])v.Clone()
            : throw new ArgumentException($"{layer}: {what} has {v.Length} values ({string.Join(", ", v)}); expected 1 or {axes}");
        if (r.Any(x => x < min)) throw new ArgumentOutOfRangeException(what, $"{layer}: {what} ({string.Join(", ", r)}) must be ≥ {min}");
        return r;
    }

    /// <inheritdoc/>
    public override string ToString() => _values is null ? "?" : _values.Length == 1 ? _values[0].ToString() : "(" + string.Join(", ", _values) + ")";
}

/// <summary>
/// Convolution/pooling padding, PyTorch-style: a number of cells added on both sides of every axis (<c>1</c>), one
/// per axis (<c>(1, 2)</c>, <c>new long[] { 1, 2 }</c>), or <c>"valid"</c> (none) / <c>"same"</c> (output as large as
/// the input; stride 1 only, extra cell at the end as PyTorch).
/// </summary>
public readonly struct Padding
{
    private readonly long[]? _values;
    private readonly string? _mode;

    private Padding(long[]? values, string? mode) { _values = values; _mode = mode; }

    /// <summary>No padding.</summary>
    public static Padding Valid => new([0], null);
    /// <summary>Output size equal to the input size (stride 1).</summary>
    public static Padding Same => new(null, "same");

    /// <summary>The same padding on both sides of every axis.</summary>
    public static implicit operator Padding(long value) => new([value], null);
    /// <summary>Padding of (height, width), on both sides.</summary>
    public static implicit operator Padding((int, int) hw) => new([hw.Item1, hw.Item2], null);
    /// <summary>One padding per axis, on both sides.</summary>
    public static implicit operator Padding(long[] values) => new((long[])values.Clone(), null);
    /// <summary>"same" or "valid".</summary>
    public static implicit operator Padding(string mode) => mode.ToLowerInvariant() switch
    {
        "valid" => Valid,
        "same" => Same,
        _ => throw new ArgumentException($"padding '{mode}' is not known; expected \"same\", \"valid\" or numbers"),
    };

    /// <summary>True for "same".</summary>
    public bool IsSame => _mode == "same";

    /// <summary>
    /// ONNX pads (begins of every axis, then ends) for a kernel of <paramref name="kernel"/> with
    /// <paramref name="dilation"/>; "same" puts total = dilation·(kernel − 1) cells, the odd one at the end.
    /// </summary>
    public long[] OnnxPads(long[] kernel, long[] dilation, long[] stride, string layer)
    {
        int n = kernel.Length;
        if (IsSame)
        {
            if (stride.Any(s => s != 1)) throw new ArgumentException($"{layer}: padding \"same\" needs stride 1 (as PyTorch), got stride ({string.Join(", ", stride)})");
            var total = kernel.Select((k, i) => dilation[i] * (k - 1)).ToArray();
            return [.. total.Select(t => t / 2), .. total.Select(t => t - t / 2)];
        }
        var p = _values ?? [0];
        long[] per = p.Length == 1 ? Enumerable.Repeat(p[0], n).ToArray()
            : p.Length == n ? p
            : throw new ArgumentException($"{layer}: padding has {p.Length} values ({string.Join(", ", p)}); expected 1 or {n}");
        if (per.Any(x => x < 0)) throw new ArgumentOutOfRangeException(nameof(p), $"{layer}: padding ({string.Join(", ", per)}) must be ≥ 0");
        return [.. per, .. per];
    }

    /// <inheritdoc/>
    public override string ToString() => _mode ?? (_values is null ? "0" : _values.Length == 1 ? _values[0].ToString() : "(" + string.Join(", ", _values) + ")");
}
