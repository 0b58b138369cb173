using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>Activation functions and Softmax/LogSoftmax. Rules reuse the forward output where the derivative is a function of it.</summary>
internal static class Activations
{
    [Gradient("Sigmoid")] static void Sigmoid(GradScope g) { var y = g.Output(0); g.InputGrad(0, g.Dy * y * (g.C(1) - y)); }
    [Gradient("Tanh")] static void Tanh(GradScope g) { var y = g.Output(0); g.InputGrad(0, g.Dy * (g.C(1) - y * y)); }

    // dX = dY · (Y > 0), as Greater, Cast and Mul: ORT's Where with a broadcast scalar is about twice as slow as Cast + Mul
    // (bench/RESULTS.md, "Gradient formulations"). Where the incoming gradient is already
    // zero wherever Y is (a MaxPool after this ReLU folded the mask into its own gradient), it passes through unchanged.
    [Gradient("Relu")]
    static void Relu(GradScope g)
    {
        var y = g.Output(0);
        if (g.IsZeroWhereZero(g.Dy, y)) { g.InputGrad(0, g.Dy); return; }
        g.InputGrad(0, g.Dy * Op.Cast(Op.Greater(y, g.C(0)), g.ElementType));
    }

    [Gradient("LeakyRelu")]
    static void LeakyRelu(GradScope g) =>
        g.InputGrad(0, Op.Where(Op.Greater(g.Input(0), g.C(0)), g.Dy, g.Dy * g.C(g.AttrFloat("alpha", 0.01f))));

    // x ≤ 0: y = α(eˣ − 1), so dy/dx = y + α.
    [Gradient("Elu")]
    static void Elu(GradScope g)
    {
        double alpha = g.AttrFloat("alpha", 1f);
        g.InputGrad(0, Op.Where(Op.Greater(g.Input(0), g.C(0)), g.Dy, g.Dy * (g.Output(0) + g.C(alpha))));
    }

    // x ≤ 0: y = γα(eˣ − 1), so dy/dx = y + γα; x > 0: γ.
    [Gradient("Selu")]
    static void Selu(GradScope g)
    {
        double alpha = g.AttrFloat("alpha", 1.67326319217681884765625f), gamma = g.AttrFloat("gamma", 1.05070102214813232421875f);
        g.InputGrad(0, Op.Where(Op.Greater(g.Input(0), g.C(0)), g.Dy * g.C(gamma), g.Dy * (g.Output(0) + g.C(gamma * alpha))));
    }

    [Gradient("Softplus")] static void Softplus(GradScope g) => g.InputGrad(0, g.Dy * Op.Sigmoid(g.Input(0)));

    [Gradient("Softsign")]
    static void Softsign(GradScope g)
    {
        var d = Op.Abs(g.Input(0)) + g.C(1);
        g.InputGrad(0, g.Dy / (d * d));
    }

    // Slope α inside the linear part (0 < y < 1), zero where clamped.
    [Gradient("HardSigmoid")]
    static void HardSigmoid(GradScope g)
    {
        var y = g.Output(0);
        var inside = Op.And(Op.Greater(y, g.C(0)), Op.Less(y, g.C(1)));
        g.InputGrad(0, Op.Where(inside, g.Dy * g.C(g.AttrFloat("alpha", 0.2f)), g.C(0)));
    }

    [Gradient("PRelu")]
    static void PRelu(GradScope g)
    {
        Value x = g.Input(0), slope = g.Input(1);
        var positive = Op.Greater(x, g.C(0));
        if (g.NeedsGrad(0)) g.InputGrad(0, g.Unbroadcast(Op.Where(positive, g.Dy, g.Dy * slope), x));
        if (g.NeedsGrad(1)) g.InputGrad(1, g.Unbroadcast(Op.Where(positive, g.C(0), g.Dy * x), slope));
    }

    // Opset 20 Gelu, exact form: d/dx [x·Φ(x)] = Φ(x) + x·φ(x).
    [Gradient("Gelu")]
    static void Gelu(GradScope g)
    {
        if (g.AttrString("approximate", "none") != "none") throw g.Fail("only the exact (approximate='none') Gelu has a gradient rule");
        var x = g.Input(0);
        var cdf = (Op.Erf(x * g.C(1 / Math.Sqrt(2))) + g.C(1)) * g.C(0.5);
        var pdf = Op.Exp(x * x * g.C(-0.5)) * g.C(1 / Math.Sqrt(2 * Math.PI));
        g.InputGrad(0, g.Dy * (cdf + x * pdf));
    }

    // dx = y·(dy − Σ dy·y) along the softmax axes.
    [Gradient("Softmax")]
    static void Softmax(GradScope g)
    {
        var y = g.Output(0);
        var s = Op.ReduceSum(g.Dy * y, SoftmaxAxes(g), keepDims: true);
        g.InputGrad(0, y * (g.Dy - s));
    }

    // dx = dy − softmax·Σ dy, softmax = exp(y).
    [Gradient("LogSoftmax")]
    static void LogSoftmax(GradScope g)
    {
        var s = Op.ReduceSum(g.Dy, SoftmaxAxes(g), keepDims: true);
        g.InputGrad(0, g.Dy - Op.Exp(g.Output(0)) * s);
    }

    // From opset 13 the softmax runs along one axis (default −1); before, over all axes from 'axis' (default 1) on.
    private static long[] SoftmaxAxes(GradScope g)
    {
        if (g.Opset >= 13) return [g.AttrInt("axis", -1)];
        int rank = g.RankOf(g.Input(0));
        long axis = g.AttrInt("axis", 1);
        if (axis < 0) axis += rank;
        return Enumerable.Range((int)axis, rank - (int)axis).Select(a => (long)a).ToArray();
    }

    // x·clip(x/6 + ½, 0, 1): slope 0 below −3, 1 above 3, x/3 + ½ between.
    [Gradient("HardSwish")]
    static void HardSwish(GradScope g)
    {
        var x = g.Input(0);
        var between = Op.Where(Op.Greater(x, g.C(3)), g.Dy, g.Dy * (x * g.C(1.0 / 3) + g.C(0.5)));
        g.InputGrad(0, Op.Where(Op.Less(x, g.C(-3)), g.C(0), between));
    }

    // x ≤ 0: y = α(e^(x/α) − 1), so dy/dx = e^(x/α) = y/α + 1.
    [Gradient("Celu")]
    static void Celu(GradScope g)
    {
        double alpha = g.AttrFloat("alpha", 1f);
        g.InputGrad(0, Op.Where(Op.Greater(g.Input(0), g.C(0)), g.Dy, g.Dy * (g.Output(0) * g.C(1 / alpha) + g.C(1))));
    }

    [Gradient("ThresholdedRelu")]
    static void ThresholdedRelu(GradScope g) =>
        g.InputGrad(0, Op.Where(Op.Greater(g.Input(0), g.C(g.AttrFloat("alpha", 1f))), g.Dy, g.C(0)));
}
