namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>Conv and ConvTranspose (1-3 spatial dimensions, strides, pads, dilations, groups).</summary>
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
}
