using OnnxKit.IR;
using OnnxKit.Shapes;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>
/// The window and group count of a convolution or pooling node, with auto_pad resolved to explicit pads, and the two
/// adjoint operations every such gradient is made of: the input gradient (a transposed convolution) and the weight
/// gradient (a convolution).
/// </summary>
internal sealed record ConvGeometry(ConvWindow Window, long Group)
{
    public int Spatial => Window.Spatial;
    public long[] Kernel => Window.Kernel;
    public long[] Strides => Window.Strides;
    public long[] Pads => Window.Pads;
    public long[] Dilations => Window.Dilations;

    /// <summary>Reads the geometry of a Conv/ConvTranspose/pooling node; the kernel comes from the attribute or the weight's static shape.</summary>
    public static ConvGeometry Of(GradScope g, Value x, Value? weight)
    {
        long[] kernel = g.AttrInts("kernel_shape")
            ?? (weight?.Shape is { } ws && ws.Rank > 2 && ws.Skip(2).All(d => d.IsKnown) ? ws.Skip(2).Select(d => d.Value!.Value).ToArray()
            : throw g.Fail("the kernel shape is unknown (no kernel_shape attribute and the weight's shape is not static)"));
        var window = ConvWindow.Read(g.Node, kernel, g.Fail);
        long[]? spatial = null;
        if (window.PadsToSame)
        {
            if (x.Shape is not { } xs || xs.Rank != window.Spatial + 2 || !xs.Skip(2).All(d => d.IsKnown))
                throw g.Fail($"auto_pad={window.AutoPad} needs the input's spatial size to be static for the gradient, got {x.Type}");
            spatial = xs.Skip(2).Select(d => d.Value!.Value).ToArray();
        }
        return new ConvGeometry(window.Explicit(spatial), g.AttrInt("group", 1));
    }

    /// <summary>
    /// Gradient of a convolution with respect to its input: a ConvTranspose of <paramref name="dy"/> with the same weight,
    /// whose output_padding restores input positions the forward windows never reached (static sizes), or a Pad
    /// computed from the run-time shapes.
    /// </summary>
    public Value InputGrad(GradScope g, Value dy, Value weight, Value x)
    {
        int n = Spatial;
        if (FlippedConvolution(dy, weight, x) is { } viaConv) return viaConv;
        long[]? outPad = null;
        if (x.Shape is { } xs && xs.Rank == n + 2 && xs.Skip(2).All(d => d.IsKnown))
        {
            outPad = new long[n];
            for (int i = 0; i < n; i++)
            {
                long size = xs[i + 2].Value!.Value;
                // The input size a transposed convolution of the forward output gives back; output_padding adds the tail the windows never reached.
                outPad[i] = size - Window.TransposedOutputSize(i, Window.OutputSize(i, size), 0);
            }
        }
        var dx = Op.ConvTranspose(dy, weight, strides: Strides, pads: Pads, dilations: Dilations, group: Group,
            outputPadding: outPad is not null && outPad.Any(p => p != 0) ? outPad : null, kernelShape: Kernel);
        if (outPad is not null) return dx;
        // Sizes known only at run time: pad the end of each spatial axis up to the input's size.
        var missing = Op.Sub(g.Dims(x, 2), g.Dims(dx, 2));
        var pads = Op.Concat(0, g.Ints(new long[n + 4]), missing);
        return g.Graph.Node1("Pad", [dx, pads]);
    }

    /// <summary>Smallest input (spatial positions per channel) whose stride-1 input gradient is taken as a convolution.</summary>
    internal const long FlippedConvolutionMinPositions = 196;

    /// <summary>
    /// For a stride-1, undilated, ungrouped convolution with pads below the kernel, the input gradient is itself a
    /// convolution: dX = Conv(dY, W′) with W′[c, m, i…] = W[m, c, k−1−i…] and pads k−1−p. ONNX Runtime's CPU Conv
    /// (im2col + GEMM per image) ran it faster than ConvTranspose (GEMM + col2im per image) on inputs of 14×14 and more
    /// and slower below (bench/RESULTS.md, "Gradient formulations"), hence <see cref="FlippedConvolutionMinPositions"/>.
    /// Inputs of at most <see cref="BatchGemmMaxPositions"/> positions run that convolution as one batch-wide GEMM over the
    /// unfolded output gradient instead. Null where neither applies.
    /// </summary>
    private Value? FlippedConvolution(Value dy, Value weight, Value x)
    {
        int n = Spatial;
        if (Group != 1 || Strides.Any(s => s != 1) || Dilations.Any(d => d != 1)) return null;
        if (Enumerable.Range(0, 2 * n).Any(i => Pads[i] > Kernel[i % n] - 1)) return null;
        if (x.Shape is not { } xs || xs.Rank != n + 2 || !xs.Skip(2).All(d => d.IsKnown)) return null;
        long positions = xs.Skip(2).Aggregate(1L, (a, d) => a * d.Value!.Value);
        bool small = positions <= BatchGemmMaxPositions;
        if (!small && positions < FlippedConvolutionMinPositions) return null;
        var swapped = Op.Transpose(weight, Swap01);
        var flipped = Op.Slice(swapped, Enumerable.Repeat(-1L, n).ToArray(), Enumerable.Repeat(long.MinValue, n).ToArray(), SpatialAxes, Enumerable.Repeat(-1L, n).ToArray());
        long[] pads = Enumerable.Range(0, 2 * n).Select(i => Kernel[i % n] - 1 - Pads[i]).ToArray();
        if (!small) return Op.Conv(dy, flipped, pads: pads, kernelShape: Kernel);
        var adjoint = this with { Window = Window with { Pads = pads } };
        return adjoint.Unfold(dy, x) is { } cols ? adjoint.GemmForward(cols, flipped, null, x) : null;
    }

    /// <summary>
    /// Gradient of a convolution with respect to its weight [M, C/group, kernel…]: one GEMM over the unfolded input
    /// where the sizes are static and there is one group, else a convolution of the input by the output gradient.
    /// </summary>
    public Value WeightGrad(GradScope g, Value x, Value dy) => Unfold(x, dy) is { } cols ? GemmWeightGrad(cols, dy) : ConvolvedWeightGrad(g, x, dy);

    /// <summary>
    /// The weight gradient as one well-shaped GEMM (im2col): dW[M, C·k…] = dY[M, o…·N] · cols[C·k…, o…·N]ᵀ, where row
    /// (c, offset) of cols is the input channel c seen through that kernel offset at every output position of every sample.
    /// Faster than a Conv over transposed tensors (a skinny convolution with the batch as channels), as fast as per-sample
    /// GEMMs and faster than one GEMM per kernel offset (bench/RESULTS.md, "Gradient formulations").
    /// </summary>
    public Value GemmWeightGrad(Value cols, Value dy)
    {
        long outChannels = dy.Shape![1].Value!.Value;
        var dyFlat = Op.Reshape(Op.Transpose(dy, ChannelsFirstBatchLast), outChannels, -1); // [M, o…·N], the columns' order
        var dw = Op.Gemm(dyFlat, cols, transB: true);
        return Op.Reshape(dw, [outChannels, -1, .. Kernel]);
    }

    /// <summary>Largest output (spatial positions per channel) whose forward convolution is recomputed as one batch-wide GEMM.</summary>
    internal const long BatchGemmMaxPositions = 64;

    /// <summary>
    /// True when the forward convolution producing <paramref name="dy"/>'s shape is better run as one GEMM over the
    /// unfolded input than by ONNX Runtime's Conv. The CPU Conv multiplies one image at a time, so a small output gives
    /// GEMMs of few columns; at 11×11 the two ran the same and the GEMM only lost ONNX Runtime's Conv+ReLU fusion, hence the
    /// bound of 8×8 (bench/RESULTS.md, "Gradient formulations").
    /// The unfold is the weight gradient's, so the forward pass only adds the GEMM and a transpose of the output.
    /// </summary>
    public bool ForwardAsGemm(Value dy) => StaticSpatial(dy).Aggregate(1L, (a, d) => a * d) <= BatchGemmMaxPositions;

    /// <summary>y[N, M, o…] = W[M, C·k…] · cols[C·k…, o…·N] (+ b), reshaped and moved batch-first: the convolution itself.</summary>
    public Value GemmForward(Value cols, Value weight, Value? bias, Value dy)
    {
        long[] outSize = StaticSpatial(dy);
        long outChannels = dy.Shape![1].Value!.Value;
        var product = Op.Gemm(Op.Reshape(weight, outChannels, -1), cols, bias is null ? null : Op.Reshape(bias, outChannels, 1));
        // [M, o…, N] → [N, M, o…]
        return Op.Transpose(Op.Reshape(product, [outChannels, .. outSize, -1]), [Spatial + 1, 0, .. SpatialAxes.Select(a => a - 1)]);
    }

    // Axes 2 … 1 + Spatial of an [N, C, s…] tensor.
    private long[] SpatialAxes => Enumerable.Range(2, Spatial).Select(i => (long)i).ToArray();

    // [N, C, s…] → [C, s…, N]: channels first, then positions, the batch innermost.
    private long[] ChannelsFirstBatchLast => [1, .. SpatialAxes, 0];

    private long[] Swap01 => [1, 0, .. SpatialAxes];

    private static long[] StaticSpatial(Value v) => v.Shape!.Skip(2).Select(d => d.Value!.Value).ToArray();

    /// <summary>
    /// The im2col matrix cols[C·k…, o…·N] of the input for this geometry: row (c, offset), column (output position,
    /// sample). Built as [C, s…, N] (one transpose), zero-padded, and one <c>Gather</c> of whole batch rows along the
    /// flattened positions with a constant index of (offset, output position) pairs — one copy of the unfolded size,
    /// with strides and dilations in the index. A slice per kernel offset and a concatenation (the first form) wrote
    /// every unfolded byte twice, and strided slices are slow (bench/RESULTS.md, "Training: small ResNet"). Needs one
    /// group and static channel and spatial sizes (they fix the index); null otherwise.
    /// </summary>
    public Value? Unfold(Value x, Value dy)
    {
        int n = Spatial;
        if (Group != 1 || x.Shape is not { } xs || dy.Shape is not { } ys || xs.Rank != n + 2 || ys.Rank != n + 2) return null;
        if (!xs.Skip(1).All(d => d.IsKnown) || !ys.Skip(1).All(d => d.IsKnown)) return null;
        long channels = xs[1].Value!.Value;
        long[] outSize = StaticSpatial(dy);
        long[] padded = xs.Skip(2).Select((d, i) => d.Value!.Value + Pads[i] + Pads[i + n]).ToArray();
        var xt = Op.Transpose(x, ChannelsFirstBatchLast);
        if (Pads.Any(p => p != 0)) xt = Op.Pad(xt, [0, .. Pads[..n], 0, 0, .. Pads[n..], 0]);
        long positions = padded.Aggregate(1L, (a, d) => a * d);
        var flat = Op.Reshape(xt, channels, positions, -1);
        var cols = Op.Gather(flat, xt.Builder.Int64s(GatherIndex(padded, outSize)), axis: 1); // [C, K·o…, N]
        return Op.Reshape(cols, channels * Kernel.Aggregate(1L, (a, k) => a * k), -1);
    }

    // For each kernel offset (last axis fastest), for each output position (row-major): the flattened padded position read.
    private long[] GatherIndex(long[] padded, long[] outSize)
    {
        int n = Spatial;
        var rowStride = new long[n];
        long stride = 1;
        for (int i = n - 1; i >= 0; i--) { rowStride[i] = stride; stride *= padded[i]; }
        long outCount = outSize.Aggregate(1L, (a, d) => a * d);
        var index = new List<long>();
        foreach (var offset in KernelOffsets())
            for (long p = 0; p < outCount; p++)
            {
                long rest = p, at = 0;
                for (int i = n - 1; i >= 0; i--)
                {
                    long coordinate = rest % outSize[i];
                    rest /= outSize[i];
                    at += (coordinate * Strides[i] + offset[i] * Dilations[i]) * rowStride[i];
                }
                index.Add(at);
            }
        return [.. index];
    }

    // Every kernel offset, last axis fastest (the order of W's trailing axes).
    private IEnumerable<long[]> KernelOffsets()
    {
        var o = new long[Spatial];
        while (true)
        {
            yield return (long[])o.Clone();
            int i = Spatial - 1;
            while (i >= 0 && ++o[i] == Kernel[i]) o[i--] = 0;
            if (i < 0) yield break;
        }
    }

    /// <summary>
    /// The weight gradient as a convolution of the input, with batch and channels swapped, by the output gradient used
    /// as the kernel (strides and dilations exchange roles). For groups the input channels are regrouped so that group j
    /// of the input meets group j of the output gradient. Any group count, run-time sizes: the form where
    /// <see cref="Unfold"/> does not apply.
    /// </summary>
    public Value ConvolvedWeightGrad(GradScope g, Value x, Value dy)
    {
        int n = Spatial;
        Value xt;
        if (Group == 1) xt = Op.Transpose(x, Swap01);
        else
        {
            // [N, C, s…] → [N, G, C/G, s…] → [C/G, G, N, s…] → [C/G, G·N, s…]
            var spatial = g.Dims(x, 2);
            var grouped = Op.Reshape(x, Op.Concat(0, g.Dims(x, 0, 1), g.Ints(Group, -1), spatial));
            var moved = Op.Transpose(grouped, [2, 1, 0, .. Enumerable.Range(3, n).Select(i => (long)i)]);
            xt = Op.Reshape(moved, Op.Concat(0, g.Ints(0, -1), spatial));
        }
        var kernel = Op.Transpose(dy, Swap01); // [M, N, o…]
        var r = Op.Conv(xt, kernel, strides: Dilations, pads: Pads, dilations: Strides, group: Group); // [C/G, M, k'…]
        r = Op.Transpose(r, Swap01);
        // k' ≥ k: positions past the kernel only arise from the input's unused tail; drop them.
        return Op.Slice(r, new long[n], Kernel, SpatialAxes);
    }

    /// <summary>Sum of the output gradient over every axis but the channel axis (the bias gradient).</summary>
    public Value BiasGrad(Value dy) => Op.ReduceSum(dy, [0, .. SpatialAxes], keepDims: false);
}
