namespace OnnxKit;

/// <summary>
/// Shared body of the max/average pooling layers (PyTorch's <c>nn.MaxPoolNd</c>/<c>nn.AvgPoolNd</c>): the stride
/// defaults to the kernel size, padding is symmetric.
/// </summary>
public abstract class PoolNd : Module
{
    /// <summary>Window size per spatial axis.</summary>
    public long[] KernelSize { get; }
    /// <summary>Stride per spatial axis (default the kernel size, as PyTorch).</summary>
    public long[] Stride { get; }
    /// <summary>ONNX pads (begins, then ends).</summary>
    public long[] Pads { get; }
    /// <summary>Round the output size up instead of down.</summary>
    public bool CeilMode { get; }

    /// <summary>Creates a pooling layer over <paramref name="spatialAxes"/> axes.</summary>
    protected PoolNd(int spatialAxes, SpatialSize kernelSize, SpatialSize? stride, SpatialSize? padding, bool ceilMode)
    {
        string layer = GetType().Name;
        KernelSize = kernelSize.For(spatialAxes, layer, "kernel_size", 1);
        Stride = stride is { } s ? s.For(spatialAxes, layer, "stride", 1) : (long[])KernelSize.Clone();
        var pad = (padding ?? 0).For(spatialAxes, layer, "padding", 0);
        for (int i = 0; i < spatialAxes; i++)
            if (pad[i] > KernelSize[i] / 2)
                throw new ArgumentException($"{layer}: padding ({string.Join(", ", pad)}) must be at most half the kernel size ({string.Join(", ", KernelSize)}), as PyTorch requires");
        Pads = [.. pad, .. pad];
        CeilMode = ceilMode;
    }
}

/// <summary>Max pooling over [N, C, L] (PyTorch's <c>nn.MaxPool1d</c>).</summary>
public sealed class MaxPool1d(long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false)
    : PoolNd(1, kernelSize, stride is long s ? s : null, padding, ceilMode)
{
    /// <summary>Spacing between the window's taps (1: adjacent elements).</summary>
    public long Dilation { get; } = dilation >= 1 ? dilation : throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "MaxPool1d: dilation must be ≥ 1");

    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.MaxPool(x, KernelSize, Stride, Pads, Dilation == 1 ? null : [Dilation], CeilMode).As(x);
}

/// <summary>Max pooling over [N, C, H, W] (PyTorch's <c>nn.MaxPool2d</c>).</summary>
public sealed class MaxPool2d(SpatialSize kernelSize, SpatialSize? stride = null, SpatialSize? padding = null, SpatialSize? dilation = null, bool ceilMode = false)
    : PoolNd(2, kernelSize, stride, padding, ceilMode)
{
    /// <summary>Dilation per axis.</summary>
    public long[] Dilation { get; } = (dilation ?? 1).For(2, nameof(MaxPool2d), "dilation", 1);

    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.MaxPool(x, KernelSize, Stride, Pads, Dilation.All(d => d == 1) ? null : Dilation, CeilMode).As(x);
}

/// <summary>
/// Average pooling over [N, C, L] (PyTorch's <c>nn.AvgPool1d</c>); padded cells count in the divisor unless
/// <c>countIncludePad</c> is false (PyTorch's default is true, ONNX's false).
/// </summary>
public sealed class AvgPool1d(long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true)
    : PoolNd(1, kernelSize, stride is long s ? s : null, padding, ceilMode)
{
    /// <summary>Whether padded cells count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.AveragePool(x, KernelSize, Stride, Pads, CeilMode, CountIncludePad).As(x);
}

/// <summary>
/// Average pooling over [N, C, H, W] (PyTorch's <c>nn.AvgPool2d</c>); padded cells count in the divisor unless
/// <c>countIncludePad</c> is false (PyTorch's default is true, ONNX's false).
/// </summary>
public sealed class AvgPool2d(SpatialSize kernelSize, SpatialSize? stride = null, SpatialSize? padding = null, bool ceilMode = false, bool countIncludePad = true)
    : PoolNd(2, kernelSize, stride, padding, ceilMode)
{
    /// <summary>Whether padded cells count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Value Forward(Value x) => Op.AveragePool(x, KernelSize, Stride, Pads, CeilMode, CountIncludePad).As(x);
}

/// <summary>
/// Mean over all spatial axes (PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c>: [N, C, H, W] → [N, C, 1, 1]); with
/// <c>keepDims</c> false the spatial axes are dropped ([N, C], Keras' <c>GlobalAveragePooling2D</c>).
/// </summary>
public sealed class GlobalAvgPool(bool keepDims = true) : Module
{
    /// <summary>Whether the size-1 spatial axes stay.</summary>
    public bool KeepDims { get; } = keepDims;

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var y = Op.GlobalAveragePool(x).As(x);
        return KeepDims ? y : Op.Flatten(y, 1);
    }
}
