using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>Conv and ConvTranspose (1-3 spatial dimensions, strides, pads, dilations, groups) and the pooling operators: MaxPool, AveragePool and the global poolings.</summary>
internal static class Convolution
{
    [Gradient("Conv")]
    static void Conv(GradScope g)
    {
        Value x = g.Input(0), w = g.Input(1), dy = g.Dy;
        var geo = ConvGeometry.Of(g, x, w);
        if (g.NeedsGrad(0)) g.InputGrad(0, geo.InputGrad(g, dy, w, x));
        if (g.NeedsGrad(1))
        {
            if (geo.Unfold(x, dy) is { } cols)
            {
                g.InputGrad(1, geo.GemmWeightGrad(cols, dy));
                // With the unfolded input at hand, a small convolution is cheaper as one GEMM in the forward pass too.
                if (geo.ForwardAsGemm(dy)) g.ReplaceForward(0, geo.GemmForward(cols, w, g.HasInput(2) ? g.Input(2) : null, dy));
            }
            else g.InputGrad(1, geo.ConvolvedWeightGrad(g, x, dy));
        }
        if (g.HasInput(2) && g.NeedsGrad(2)) g.InputGrad(2, geo.BiasGrad(dy));
    }

    // Y = ConvTranspose(X, W) is the adjoint of Conv(·, W): dX = Conv(dY, W); dW is the Conv weight gradient
    // with the roles of input (dY) and output gradient (X) exchanged.
    [Gradient("ConvTranspose")]
    static void ConvTranspose(GradScope g)
    {
        Value x = g.Input(0), w = g.Input(1), dy = g.Dy;
        if (g.Node.Attribute("output_shape") is not null || g.AttrString("auto_pad", "NOTSET") != "NOTSET")
            throw g.Fail("ConvTranspose with output_shape or auto_pad has no gradient rule; give explicit pads and output_padding");
        var geo = ConvGeometry.Of(g, x, w);
        if (g.NeedsGrad(0))
            g.InputGrad(0, Op.Conv(dy, w, strides: geo.Strides, pads: geo.Pads, dilations: geo.Dilations, group: geo.Group, kernelShape: geo.Kernel));
        if (g.NeedsGrad(1)) g.InputGrad(1, geo.WeightGrad(g, dy, x));
        if (g.HasInput(2) && g.NeedsGrad(2)) g.InputGrad(2, geo.BiasGrad(dy));
    }

    // Each output's gradient goes to the input cell it came from. Two formulations, chosen per node:
    //  * non-overlapping windows over a ReLU's output: compare each input cell with its window's maximum, both brought
    //    back to the input's size by nearest-neighbour Resize (see ComparedBack);
    //  * any other MaxPool: the forward node's own indices output (added to it when absent) scattered with add into
    //    zeros. Indices are flat over N·C·spatial.
    [Gradient("MaxPool")]
    static void MaxPool(GradScope g)
    {
        if (g.AttrInt("storage_order", 0) != 0) throw g.Fail("storage_order=1 (column-major indices) has no gradient rule");
        if (ComparedBack(g) is { } dx) { g.InputGrad(0, dx); return; }
        var x = g.Input(0);
        var indices = Op.Reshape(g.Output(1), -1);
        g.Graph.RequireOpset("", 16); // ScatterElements with reduction
        var zeros = Op.ConstantOfShape(Op.Reshape(Op.Size(x), 1), 0, g.ElementType);
        var flat = Op.ScatterElements(zeros, indices, Op.Reshape(g.Dy, -1), 0, "add");
        g.InputGrad(0, g.ReshapeLike(flat, x));
    }

    // dX = (X == up(Y)) · up(dY), up = nearest-neighbour upsampling by the window (zero where the floor-mode pooling left a
    // tail of the input unused). This costs elementwise passes only and lets the forward MaxPool drop its indices
    // output (bench/RESULTS.md, "Gradient formulations").
    // Used after a ReLU only: there, ties at zero are windows with no positive input, where the ReLU's own gradient is
    // zero; ties of positive values split the window's gradient equally (the index formulation gives it all to one).
    private static Value? ComparedBack(GradScope g)
    {
        var x = g.Input(0);
        if (g.ElementType != ElementType.Float32) return null; // ORT's CPU Resize has no float64 kernel
        if (g.ProducerOf(x) is not { OpType: "Relu" }) return null;
        if (g.AttrInt("ceil_mode", 0) != 0) return null;
        var geo = ConvGeometry.Of(g, x, null);
        int n = geo.Spatial;
        if (geo.Pads.Any(p => p != 0) || geo.Dilations.Any(d => d != 1) || !geo.Kernel.SequenceEqual(geo.Strides)) return null;
        if (x.Shape is not { } xs || xs.Rank != n + 2 || !xs.Skip(2).All(d => d.IsKnown)) return null;
        long[] tail = xs.Skip(2).Select((d, i) => d.Value!.Value % geo.Kernel[i]).ToArray();
        float[] scales = [1, 1, .. geo.Kernel.Select(k => (float)k)];
        Value Up(Value v) => g.Graph.Node1("Resize", [v, null, g.Graph.Constant(TensorData.FromFloats("", scales, scales.Length))],
            Attr.String("mode", "nearest"), Attr.String("coordinate_transformation_mode", "asymmetric"), Attr.String("nearest_mode", "floor"));
        var y = g.Output(0);
        // Floor-mode pooling leaves a tail the windows never cover: compare only the covered part, then pad the result once
        // (one Slice + one Pad instead of padding both upsampled tensors).
        bool hasTail = tail.Any(t => t != 0);
        var covered = hasTail ? Op.Slice(x, new long[n], xs.Skip(2).Select((d, i) => d.Value!.Value - tail[i]).ToArray(),
            Enumerable.Range(2, n).Select(i => (long)i).ToArray()) : x;
        // Fold the ReLU's mask in at the pooled size (a quarter of the cells for 2×2 windows): a window whose maximum is 0 has
        // no positive input, so nothing flows back through it. dX is then zero wherever the ReLU's output is, and the ReLU
        // rule passes it through without a mask of its own; ties at zero no longer matter either.
        var dy = g.Dy * Op.Sign(y);
        var isMax = Op.Cast(Op.Equal(covered, Up(y)), g.ElementType);
        // A window of equal positive values (a constant region: the zero background of an image, the zero baseline of
        // Integrated Gradients, lifted by the bias) has several maxima: they share its gradient, so each window still
        // passes back exactly dY (a subgradient), not dY per tied cell.
        var maxima = Op.AveragePool(isMax, geo.Kernel, geo.Strides) * g.C(geo.Kernel.Aggregate(1L, (a, k) => a * k));
        var dx = isMax * Up(dy / maxima);
        if (hasTail) dx = Op.Pad(dx, [.. new long[n + 2], 0, 0, .. tail]);
        g.MarkZeroWhereZero(dx, x);
        return dx;
    }

    // Average pooling is a depthwise convolution with a constant kernel: its input gradient is the transposed
    // convolution of dY (per channel, as [N·C, 1, …]) with a kernel of ones, after dividing by each window's divisor.
    [Gradient("AveragePool")]
    static void AveragePool(GradScope g)
    {
        if (g.AttrInt("ceil_mode", 0) != 0) throw g.Fail("ceil_mode=1 has no gradient rule");
        var x = g.Input(0);
        var geo = ConvGeometry.Of(g, x, null);
        if (geo.Dilations.Any(d => d != 1)) throw g.Fail("dilated AveragePool has no gradient rule");
        long window = geo.Kernel.Aggregate(1L, (a, k) => a * k);
        bool includePad = g.AttrInt("count_include_pad", 0) != 0 || geo.Pads.All(p => p == 0);
        Value dy = g.Dy;
        if (includePad) dy = dy * g.C(1.0 / window);
        else
        {
            // Divisor = number of real (unpadded) cells per window = window · AveragePool_with_pads_counted(ones).
            var ones = Op.ConstantOfShape(Op.Concat(0, g.Ints(1, 1), g.Dims(x, 2)), 1, g.ElementType);
            var counted = Op.AveragePool(ones, geo.Kernel, geo.Strides, geo.Pads, countIncludePad: true);
            dy = dy / (counted * g.C(window));
        }
        var perChannel = Op.Reshape(dy, Op.Concat(0, g.Ints(-1, 1), g.Dims(dy, 2)));
        var kernelOnes = OnesKernel(g, geo.Kernel);
        var dx = (geo with { Group = 1 }).InputGrad(g, perChannel, kernelOnes, x);
        g.InputGrad(0, g.ReshapeLike(dx, x));
    }

    private static Value OnesKernel(GradScope g, long[] kernel)
    {
        long count = kernel.Aggregate(1L, (a, k) => a * k);
        long[] dims = [1, 1, .. kernel];
        return g.Graph.Constant(g.ElementType == ElementType.Float64
            ? TensorData.FromDoubles("", Enumerable.Repeat(1.0, (int)count).ToArray(), dims)
            : TensorData.FromFloats("", Enumerable.Repeat(1f, (int)count).ToArray(), dims));
    }

    [Gradient("GlobalAveragePool")]
    static void GlobalAveragePool(GradScope g)
    {
        var x = g.Input(0);
        Value count = x.Shape is { } s && s.Rank > 2 && s.Skip(2).All(d => d.IsKnown)
            ? g.C(s.Skip(2).Aggregate(1L, (a, d) => a * d.Value!.Value))
            : g.AsGradType(Op.Div(Op.Size(x), Op.Size(g.Dy)));
        g.InputGrad(0, Op.Expand(g.Dy / count, Op.Shape(x)));
    }

    [Gradient("GlobalMaxPool")]
    static void GlobalMaxPool(GradScope g)
    {
        var x = g.Input(0);
        g.InputGrad(0, Op.Where(Op.Equal(x, g.Output(0)), g.Dy, g.C(0)));
    }
}
