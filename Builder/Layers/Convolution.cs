using OnnxKit.Init;

namespace OnnxKit;

/// <summary>
/// Shared body of <see cref="Conv1d"/> and <see cref="Conv2d"/> (PyTorch's <c>nn.ConvNd</c>): weight
/// [out, in/groups, kernel…] and bias [out], both drawn as PyTorch does (U(±1/√fan_in)).
/// </summary>
public abstract class ConvNd : Module
{
    private readonly long[] _pads;

    /// <summary>Input channels.</summary>
    public long InChannels { get; }
    /// <summary>Output channels.</summary>
    public long OutChannels { get; }
    /// <summary>Kernel size per spatial axis.</summary>
    public long[] KernelSize { get; }
    /// <summary>Stride per spatial axis.</summary>
    public long[] Stride { get; }
    /// <summary>Dilation per spatial axis.</summary>
    public long[] Dilation { get; }
    /// <summary>Channel groups.</summary>
    public long Groups { get; }
    /// <summary>The weight [out, in/groups, kernel…].</summary>
    public Parameter Weight { get; }
    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Creates a convolution over <paramref name="spatialAxes"/> axes.</summary>
    protected ConvNd(int spatialAxes, long inChannels, long outChannels, SpatialSize kernelSize, SpatialSize? stride, Padding padding,
        SpatialSize? dilation, long groups, bool bias)
    {
        string layer = GetType().Name;
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), $"{layer}: channels must be positive, got in {inChannels}, out {outChannels}");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{layer}: groups ({groups}) must divide both in_channels ({inChannels}) and out_channels ({outChannels})");
        InChannels = inChannels; OutChannels = outChannels; Groups = groups;
        KernelSize = kernelSize.For(spatialAxes, layer, "kernel_size", 1);
        Stride = (stride ?? 1).For(spatialAxes, layer, "stride", 1);
        Dilation = (dilation ?? 1).For(spatialAxes, layer, "dilation", 1);
        _pads = padding.OnnxPads(KernelSize, Dilation, Stride, layer);
        long[] shape = [outChannels, inChannels / groups, .. KernelSize];
        Weight = AddParameter("weight", shape, Initializers.TorchDefaultWeight);
        if (bias) Bias = AddParameter("bias", [outChannels], Initializers.TorchDefaultBias((long)Initializers.Fans(shape).FanIn));
    }

    /// <summary>ONNX pads (begins, then ends).</summary>
    public IReadOnlyList<long> Pads => _pads;

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var g = x.Builder;
        return Op.Conv(x, Weight.In(g), Bias?.In(g), strides: Stride, pads: _pads, dilations: Dilation, group: Groups, kernelShape: KernelSize).As(x);
    }
}

/// <summary>1-D convolution over [N, C, L] (PyTorch's <c>nn.Conv1d</c>).</summary>
public sealed class Conv1d(long inChannels, long outChannels, long kernelSize, long stride = 1, Padding padding = default,
    long dilation = 1, long groups = 1, bool bias = true)
    : ConvNd(1, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias);

/// <summary>2-D convolution over [N, C, H, W] (PyTorch's <c>nn.Conv2d</c>).</summary>
public sealed class Conv2d(long inChannels, long outChannels, SpatialSize kernelSize, SpatialSize? stride = null, Padding padding = default,
    SpatialSize? dilation = null, long groups = 1, bool bias = true)
    : ConvNd(2, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias);

/// <summary>
/// 2-D transposed convolution (PyTorch's <c>nn.ConvTranspose2d</c>): weight [in, out/groups, kH, kW]; output size
/// (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.
/// </summary>
public sealed class ConvTranspose2d : Module
{
    private readonly long[] _pads;

    /// <summary>Input channels.</summary>
    public long InChannels { get; }
    /// <summary>Output channels.</summary>
    public long OutChannels { get; }
    /// <summary>Kernel size (height, width).</summary>
    public long[] KernelSize { get; }
    /// <summary>Step of the window along each spatial axis.</summary>
    public long[] Stride { get; }
    /// <summary>Spacing between the kernel's taps along each spatial axis (1: adjacent elements).</summary>
    public long[] Dilation { get; }
    /// <summary>Extra cells added at the end of each output axis.</summary>
    public long[] OutputPadding { get; }
    /// <summary>Channel groups.</summary>
    public long Groups { get; }
    /// <summary>The weight [in, out/groups, kH, kW].</summary>
    public Parameter Weight { get; }
    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Creates the layer (padding is removed from both sides of the output, as PyTorch).</summary>
    public ConvTranspose2d(long inChannels, long outChannels, SpatialSize kernelSize, SpatialSize? stride = null, SpatialSize? padding = null,
        SpatialSize? outputPadding = null, long groups = 1, bool bias = true, SpatialSize? dilation = null)
    {
        const string layer = nameof(ConvTranspose2d);
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), $"{layer}: channels must be positive, got in {inChannels}, out {outChannels}");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{layer}: groups ({groups}) must divide both in_channels ({inChannels}) and out_channels ({outChannels})");
        InChannels = inChannels; OutChannels = outChannels; Groups = groups;
        KernelSize = kernelSize.For(2, layer, "kernel_size", 1);
        Stride = (stride ?? 1).For(2, layer, "stride", 1);
        Dilation = (dilation ?? 1).For(2, layer, "dilation", 1);
        var pad = (padding ?? 0).For(2, layer, "padding", 0);
        _pads = [.. pad, .. pad];
        OutputPadding = (outputPadding ?? 0).For(2, layer, "output_padding", 0);
        for (int i = 0; i < 2; i++)
            if (OutputPadding[i] >= Math.Max(Stride[i], Dilation[i]))
                throw new ArgumentException($"{layer}: output_padding ({string.Join(", ", OutputPadding)}) must be smaller than stride or dilation (as PyTorch), got stride ({string.Join(", ", Stride)}), dilation ({string.Join(", ", Dilation)})");
        long[] shape = [inChannels, outChannels / groups, .. KernelSize];
        // PyTorch computes fan_in from this weight layout too (dimension 1 × receptive field).
        Weight = AddParameter("weight", shape, Initializers.TorchDefaultWeight);
        if (bias) Bias = AddParameter("bias", [outChannels], Initializers.TorchDefaultBias((long)Initializers.Fans(shape).FanIn));
    }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var g = x.Builder;
        return Op.ConvTranspose(x, Weight.In(g), Bias?.In(g), strides: Stride, pads: _pads, dilations: Dilation, group: Groups,
            outputPadding: OutputPadding.Any(p => p != 0) ? OutputPadding : null, kernelShape: KernelSize).As(x);
    }
}
