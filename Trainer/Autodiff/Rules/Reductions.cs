using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>Reduce* operators (axes as an attribute in older opsets or an input, either keepdims), CumSum and TopK.</summary>
internal static class Reductions
{
    [Gradient("ReduceSum")] static void ReduceSum(GradScope g) => g.InputGrad(0, Spread(g, g.Dy));

    [Gradient("ReduceMean")]
    static void ReduceMean(GradScope g)
    {
        Value x = g.Input(0), y = g.Output(0);
        Value count = x.Shape is { IsFullyKnown: true } xs && y.Shape is { IsFullyKnown: true } ys
            ? g.C((double)xs.ElementCount!.Value / Math.Max(1, ys.ElementCount!.Value))
            : g.AsGradType(Op.Div(Op.Size(x), Op.Size(y)));
        g.InputGrad(0, Spread(g, g.Dy / count));
    }

    [Gradient("ReduceSumSquare")]
    static void ReduceSumSquare(GradScope g) => g.InputGrad(0, Spread(g, g.Dy) * g.Input(0) * g.C(2));

    // The gradient goes to the elements equal to the extremum, split evenly among ties as torch.amax/amin do (the
    // subgradient that treats tied elements alike; finite differences at a tie see neither side's slope).
    [Gradient("ReduceMax", "ReduceMin")]
    static void ReduceMaxMin(GradScope g)
    {
        var x = g.Input(0);
        var extreme = Op.Equal(x, Kept(g, g.Output(0)));
        if (NoAxes(g) && g.AttrInt("noop_with_empty_axes", 0) != 0) { g.InputGrad(0, g.Dy); return; }
        var ties = g.AsGradType(extreme);
        Value count = g.HasInput(1)
            ? g.Graph.Node("ReduceSum", [ties, g.Input(1)], 1, [Attr.Int("keepdims", 1)])[0]
            : Op.ReduceSum(ties, NoAxes(g) ? null : g.AttrInts("axes"), keepDims: true);
        g.InputGrad(0, Op.Where(extreme, Op.Expand(Kept(g, g.Dy) / count, Op.Shape(x)), g.C(0)));
    }

    [Gradient("ReduceL2")]
    static void ReduceL2(GradScope g) => g.InputGrad(0, Spread(g, g.Dy / g.Output(0)) * g.Input(0));

    [Gradient("ReduceLogSumExp")]
    static void ReduceLogSumExp(GradScope g) => g.InputGrad(0, Spread(g, g.Dy) * Op.Exp(g.Input(0) - Kept(g, g.Output(0))));

    // A reduced value (or its gradient) with the reduced axes present as size 1, ready to broadcast against the input.
    private static Value Kept(GradScope g, Value reduced)
    {
        if (g.AttrInt("keepdims", 1) != 0 || NoAxes(g)) return reduced;
        if (g.HasInput(1)) return g.Opset >= 13 ? g.Graph.Node1("Unsqueeze", [reduced, g.Input(1)]) : throw g.Fail("axes input before opset 13");
        return Op.Unsqueeze(reduced, g.AttrInts("axes")!);
    }

    // Broadcasts a gradient of the reduced shape back to the input's shape.
    private static Value Spread(GradScope g, Value grad)
    {
        if (NoAxes(g) && g.AttrInt("noop_with_empty_axes", 0) != 0) return grad;
        return Op.Expand(Kept(g, grad), Op.Shape(g.Input(0)));
    }

    private static bool NoAxes(GradScope g) =>
        !g.HasInput(1) && (g.AttrInts("axes") is null || g.AttrInts("axes")!.Length == 0)
        || g.HasInput(1) && g.ConstantInts(1) is { Length: 0 };

    // The adjoint of a running sum is the running sum in the other direction.
    [Gradient("CumSum")]
    static void CumSum(GradScope g)
    {
        var attrs = new List<Schema.AttributeProto> { Attr.Int("reverse", g.AttrInt("reverse", 0) != 0 ? 0 : 1) };
        if (g.AttrInt("exclusive", 0) != 0) attrs.Add(Attr.Int("exclusive", 1));
        g.InputGrad(0, g.Graph.Node("CumSum", [g.Dy, g.Input(1)], 1, attrs)[0]);
    }

    // Each value's gradient goes back to where it was taken from (the node's own indices; distinct, so no reduction).
    [Gradient("TopK")]
    static void TopK(GradScope g)
    {
        var x = g.Input(0);
        g.InputGrad(0, Op.ScatterElements(g.ZerosLike(x), g.Output(1), g.Dy, (int)g.AttrInt("axis", -1)));
    }
}
