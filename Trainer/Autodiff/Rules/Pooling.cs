using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>MaxPool (through its indices output), AveragePool and the global poolings.</summary>
internal static class Pooling
{
    // Each output's gradient goes to the input cell it came from: the forward node's own indices output
    // (added to it when absent) scattered with add into zeros. Indices are flat over N·C·spatial.
    [Gradient("MaxPool")]
    static void MaxPool(GradScope g)
    {
        if (g.AttrInt("storage_order", 0) != 0) throw g.Fail("storage_order=1 (column-major indices) has no gradient rule");
        var x = g.Input(0);
        var indices = Op.Reshape(g.Output(1), -1);
        g.Graph.RequireOpset("", 16); // ScatterElements with reduction
        var zeros = Op.ConstantOfShape(Op.Reshape(Op.Size(x), 1), 0, g.ElementType);
        var flat = Op.ScatterElements(zeros, indices, Op.Reshape(g.Dy, -1), 0, "add");
        g.InputGrad(0, g.ReshapeLike(flat, x));
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
        var dx = new ConvGeometry(geo.Kernel, geo.Strides, geo.Pads, geo.Dilations, 1).InputGrad(g, perChannel, kernelOnes, x);
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
