using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>Elementwise arithmetic, variadic Sum/Mean/Max/Min, Where, Cast and Identity.</summary>
internal static class Elementwise
{
    [Gradient("Add")]
    static void Add(GradScope g)
    {
        g.InputGrad(0, g.Unbroadcast(g.Dy, g.Input(0)));
        g.InputGrad(1, g.Unbroadcast(g.Dy, g.Input(1)));
    }

    [Gradient("Sub")]
    static void Sub(GradScope g)
    {
        g.InputGrad(0, g.Unbroadcast(g.Dy, g.Input(0)));
        if (g.NeedsGrad(1)) g.InputGrad(1, g.Unbroadcast(-g.Dy, g.Input(1)));
    }

    [Gradient("Mul")]
    static void Mul(GradScope g)
    {
        Value a = g.Input(0), b = g.Input(1);
        if (g.NeedsGrad(0)) g.InputGrad(0, g.Unbroadcast(g.Dy * b, a));
        if (g.NeedsGrad(1)) g.InputGrad(1, g.Unbroadcast(g.Dy * a, b));
    }

    [Gradient("Div")]
    static void Div(GradScope g)
    {
        Value a = g.Input(0), b = g.Input(1);
        var dyOverB = g.Dy / b;
        g.InputGrad(0, g.Unbroadcast(dyOverB, a));
        // d(a/b)/db = −(a/b)/b: reuse the forward output.
        if (g.NeedsGrad(1)) g.InputGrad(1, g.Unbroadcast(-(dyOverB * g.Output(0)), b));
    }

    [Gradient("Pow")]
    static void Pow(GradScope g)
    {
        Value a = g.Input(0), b = g.AsGradType(g.Input(1));
        if (g.NeedsGrad(0)) g.InputGrad(0, g.Unbroadcast(g.Dy * b * Op.Pow(a, b - g.C(1)), a));
        if (g.NeedsGrad(1)) g.InputGrad(1, g.Unbroadcast(g.Dy * g.Output(0) * Op.Log(a), g.Input(1)));
    }

    [Gradient("Neg")] static void Neg(GradScope g) => g.InputGrad(0, -g.Dy);
    [Gradient("Identity")] static void Identity(GradScope g) => g.InputGrad(0, g.Dy);
    [Gradient("Sqrt")] static void Sqrt(GradScope g) => g.InputGrad(0, g.Dy * g.C(0.5) / g.Output(0));
    [Gradient("Exp")] static void Exp(GradScope g) => g.InputGrad(0, g.Dy * g.Output(0));
    [Gradient("Log")] static void Log(GradScope g) => g.InputGrad(0, g.Dy / g.Input(0));
    [Gradient("Abs")] static void Abs(GradScope g) => g.InputGrad(0, g.Dy * Op.Sign(g.Input(0)));
    [Gradient("Sin")] static void Sin(GradScope g) => g.InputGrad(0, g.Dy * Op.Cos(g.Input(0)));
    [Gradient("Cos")] static void Cos(GradScope g) => g.InputGrad(0, -(g.Dy * Op.Sin(g.Input(0))));

    [Gradient("Reciprocal")]
    static void Reciprocal(GradScope g)
    {
        var y = g.Output(0);
        g.InputGrad(0, -(g.Dy * y * y));
    }

    // erf'(x) = 2/√π · e^(−x²)
    [Gradient("Erf")]
    static void Erf(GradScope g)
    {
        var x = g.Input(0);
        g.InputGrad(0, g.Dy * g.C(2 / Math.Sqrt(Math.PI)) * Op.Exp(-(x * x)));
    }

    [Gradient("Sum")]
    static void Sum(GradScope g)
    {
        for (int i = 0; i < g.InputCount; i++) if (g.NeedsGrad(i)) g.InputGrad(i, g.Unbroadcast(g.Dy, g.Input(i)));
    }

    [Gradient("Mean")]
    static void Mean(GradScope g)
    {
        var share = g.Dy * g.C(1.0 / g.InputCount);
        for (int i = 0; i < g.InputCount; i++) if (g.NeedsGrad(i)) g.InputGrad(i, g.Unbroadcast(share, g.Input(i)));
    }

    // The gradient goes to the input(s) equal to the result.
    [Gradient("Max", "Min")]
    static void MaxMin(GradScope g)
    {
        var y = g.Output(0);
        for (int i = 0; i < g.InputCount; i++)
            if (g.NeedsGrad(i)) g.InputGrad(i, g.Unbroadcast(Op.Where(Op.Equal(g.Input(i), y), g.Dy, g.C(0)), g.Input(i)));
    }

    [Gradient("Where")]
    static void Where(GradScope g)
    {
        var cond = g.Input(0);
        if (g.NeedsGrad(1)) g.InputGrad(1, g.Unbroadcast(Op.Where(cond, g.Dy, g.C(0)), g.Input(1)));
        if (g.NeedsGrad(2)) g.InputGrad(2, g.Unbroadcast(Op.Where(cond, g.C(0), g.Dy), g.Input(2)));
    }

    [Gradient("Cast", "CastLike")]
    static void Cast(GradScope g)
    {
        var x = g.Input(0);
        if (x.ElementType == ElementType.Undefined) throw g.Fail($"the element type of '{x.Name}' is unknown");
        g.InputGrad(0, g.Dy.ElementType == x.ElementType ? g.Dy : Op.Cast(g.Dy, x.ElementType));
    }

    // Passes the gradient to x where min ≤ x ≤ max (bounds from inputs from opset 11, attributes before). A bound input
    // takes the gradient of the elements clamped to it, as torch.clamp does: x on a bound keeps its gradient, and when
    // min > max every element is max, so max takes it all and min none.
    [Gradient("Clip")]
    static void Clip(GradScope g)
    {
        var x = g.Input(0);
        Value? lo = g.HasInput(1) ? g.Input(1) : g.Opset < 11 && g.Node.Attribute("min") is not null ? g.C(g.AttrFloat("min", 0)) : null;
        Value? hi = g.HasInput(2) ? g.Input(2) : g.Opset < 11 && g.Node.Attribute("max") is not null ? g.C(g.AttrFloat("max", 0)) : null;
        Value? inside = null;
        if (lo is not null) inside = Op.GreaterOrEqual(x, lo);
        if (hi is not null) inside = inside is null ? Op.LessOrEqual(x, hi) : Op.And(inside, Op.LessOrEqual(x, hi));
        if (g.NeedsGrad(0)) g.InputGrad(0, inside is null ? g.Dy : Op.Where(inside, g.Dy, g.C(0)));
        if (g.HasInput(1) && g.NeedsGrad(1))
        {
            var below = Op.Less(x, lo!);
            if (hi is not null) below = Op.And(below, Op.Less(lo!, hi));
            g.InputGrad(1, g.Unbroadcast(Op.Where(below, g.Dy, g.C(0)), lo!));
        }
        if (g.HasInput(2) && g.NeedsGrad(2))
        {
            var above = Op.Greater(x, hi!);
            if (lo is not null) above = Op.Or(above, Op.Less(hi!, lo));
            g.InputGrad(2, g.Unbroadcast(Op.Where(above, g.Dy, g.C(0)), hi!));
        }
    }
}
