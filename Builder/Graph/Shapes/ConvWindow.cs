using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>
/// The sliding window of a convolution or pooling node (Conv, ConvTranspose, MaxPool, AveragePool, LpPool): one entry
/// per spatial axis, <see cref="Pads"/> all begins then all ends. Read once from the node's attributes and shared by
/// shape inference, the gradient rules and the blocked-layout lowering, so that all three agree on auto_pad, dilations
/// and ceil_mode.
/// </summary>
internal sealed record ConvWindow(long[] Kernel, long[] Strides, long[] Dilations, long[] Pads, string AutoPad = "NOTSET", bool CeilMode = false)
{
    /// <summary>Number of spatial axes.</summary>
    public int Spatial => Kernel.Length;

    /// <summary>True for SAME_UPPER and SAME_LOWER, whose pads depend on the input's size.</summary>
    public bool PadsToSame => AutoPad is "SAME_UPPER" or "SAME_LOWER";

    /// <summary>
    /// Reads the window of <paramref name="node"/>. The kernel is <paramref name="kernel"/> where given (taken from a
    /// convolution's weight), else the <c>kernel_shape</c> attribute; <paramref name="spatial"/>, where known, is the
    /// number of spatial axes the kernel must have. Malformed attributes fail through <paramref name="fail"/>.
    /// </summary>
    public static ConvWindow Read(Node node, long[]? kernel, Func<string, Exception> fail, int? spatial = null)
    {
        kernel ??= node.GetInts("kernel_shape") ?? throw fail("attribute 'kernel_shape' is required");
        int n = spatial ?? kernel.Length;
        if (kernel.Length != n) throw fail($"kernel_shape [{string.Join(", ", kernel)}] has {kernel.Length} entries, expected {n} (one per spatial axis)");
        string autoPad = node.GetString("auto_pad", "NOTSET")!;
        if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
            throw fail($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        var w = new ConvWindow(kernel, DimMath.IntsOr(node, "strides", n, 1, fail), DimMath.IntsOr(node, "dilations", n, 1, fail),
            DimMath.IntsOr(node, "pads", 2 * n, 0, fail), autoPad, node.GetInt("ceil_mode", 0) != 0);
        if (w.Strides.Any(s => s < 1)) throw fail($"strides [{string.Join(", ", w.Strides)}] must be ≥ 1");
        if (w.Dilations.Any(s => s < 1)) throw fail($"dilations [{string.Join(", ", w.Dilations)}] must be ≥ 1");
        if (w.Pads.Any(p => p < 0)) throw fail($"pads [{string.Join(", ", w.Pads)}] must be ≥ 0");
        return w;
    }

    /// <summary>Extent of the dilated kernel along <paramref name="axis"/>: d·(k − 1) + 1.</summary>
    public long Span(int axis) => Dilations[axis] * (Kernel[axis] - 1) + 1;

    /// <summary>
    /// This window with auto_pad turned into explicit pads for an input of spatial sizes <paramref name="input"/>
    /// (needed only for SAME_*; VALID becomes zero pads). SAME_UPPER puts the odd pad at the end, SAME_LOWER at the begin.
    /// </summary>
    /// <exception cref="InvalidOperationException">SAME_* padding and no input sizes.</exception>
    public ConvWindow Explicit(IReadOnlyList<long>? input = null)
    {
        int n = Spatial;
        switch (AutoPad)
        {
            case "VALID":
                return this with { Pads = new long[2 * n], AutoPad = "NOTSET" };
            case "SAME_UPPER" or "SAME_LOWER":
                if (input is null || input.Count != n)
                    throw new InvalidOperationException($"auto_pad={AutoPad} needs the input's {n} spatial sizes to resolve its pads");
                var pads = new long[2 * n];
                for (int i = 0; i < n; i++)
                {
                    long outSize = DimMath.CeilDiv(input[i], Strides[i]);
                    long total = Math.Max(0, (outSize - 1) * Strides[i] + Span(i) - input[i]);
                    long small = total / 2;
                    (pads[i], pads[i + n]) = AutoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
                }
                return this with { Pads = pads, AutoPad = "NOTSET" };
            default:
                return this;
        }
    }

    /// <summary>
    /// Output size along <paramref name="axis"/> for an input of size <paramref name="input"/>; 0 when the window does
    /// not fit (the caller reports it). With ceil_mode a last window that would start inside the end padding is
    /// dropped (ONNX and PyTorch agree).
    /// </summary>
    public long OutputSize(int axis, long input)
    {
        long s = Strides[axis], span = Span(axis);
        switch (AutoPad)
        {
            case "SAME_UPPER" or "SAME_LOWER": return DimMath.CeilDiv(input, s);
            case "VALID": return Math.Max(0, DimMath.CeilDiv(input - span + 1, s));
        }
        long inner = input + Pads[axis] + Pads[axis + Spatial] - span;
        if (inner < 0) return 0;
        long o = (CeilMode ? DimMath.CeilDiv(inner, s) : inner / s) + 1;
        if (CeilMode && (o - 1) * s >= input + Pads[axis]) o--;
        return o;
    }

    /// <summary>
    /// Output size along <paramref name="axis"/> of a ConvTranspose with this window over an input of size
    /// <paramref name="input"/> (without an output_shape attribute); below 1 when the pads exceed the output.
    /// </summary>
    public long TransposedOutputSize(int axis, long input, long outputPadding)
    {
        long s = Strides[axis];
        if (PadsToSame) return input * s;
        long pads = AutoPad == "VALID" ? 0 : Pads[axis] + Pads[axis + Spatial];
        return s * (input - 1) + outputPadding + Span(axis) - pads;
    }
}
