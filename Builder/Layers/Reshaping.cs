namespace OnnxKit;

/// <summary>
/// Flattens axes <c>startDim</c>..<c>endDim</c> into one (PyTorch's <c>nn.Flatten</c>, default start 1, end −1:
/// [N, C, H, W] → [N, C·H·W]).
/// </summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First flattened axis.</summary>
    public int StartDim { get; } = startDim;
    /// <summary>Last flattened axis (negative counts from the end).</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        // The common case is exactly ONNX Flatten(axis = start) when it collapses the leading axes into one.
        if (EndDim == -1 && StartDim == 1) return Op.Flatten(x, 1);
        var g = x.Builder;
        if (EndDim == -1 && StartDim >= 0)
            return Op.Reshape(x, [.. Enumerable.Repeat(0L, StartDim), -1]);
        int rank = x.Rank ?? throw new GraphBuildException($"Flatten '{Prefix.TrimEnd('.')}': input '{x.Name}' has unknown rank; flattening axes {StartDim}..{EndDim} needs it");
        int s = StartDim < 0 ? StartDim + rank : StartDim, e = EndDim < 0 ? EndDim + rank : EndDim;
        if (s < 0 || e >= rank || s > e) throw new GraphBuildException($"Flatten '{Prefix.TrimEnd('.')}': axes {StartDim}..{EndDim} do not fit input '{x.Name}' of rank {rank}");
        if (e == rank - 1) return Op.Reshape(x, [.. Enumerable.Repeat(0L, s), -1]);
        // Trailing axes keep their sizes: read them at run time so symbolic sizes stay symbolic.
        var shape = Op.Concat(0, g.Int64s([.. Enumerable.Repeat(0L, s), -1]), Op.Shape(x, e + 1));
        return Op.Reshape(x, shape);
    }
}

/// <summary>
/// Reshapes every sample to <c>targetShape</c> (Keras' <c>Reshape</c>: the batch axis is kept and not part of the
/// target; one entry may be −1).
/// </summary>
public sealed class Reshape : Module
{
    /// <summary>The per-sample shape.</summary>
    public long[] TargetShape { get; }

    /// <summary>Creates the layer.</summary>
    public Reshape(params long[] targetShape)
    {
        if (targetShape.Count(d => d == -1) > 1 || targetShape.Any(d => d < -1 || d == 0))
            throw new ArgumentException($"Reshape: target shape ({string.Join(", ", targetShape)}) may hold positive sizes and at most one -1");
        TargetShape = (long[])targetShape.Clone();
    }

    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.Reshape(x, [0, .. TargetShape]);
}
