using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>Gather and GatherElements: the gradient is scattered back to where the values were read.</summary>
internal static class Indexing
{
    // Scatter-add of the gradient rows into zeros of the input's shape (repeated indices accumulate).
    // Axis ≠ 0: the gathered axis is moved to the front first, and back afterwards.
    [Gradient("Gather")]
    static void Gather(GradScope g)
    {
        Value x = g.Input(0), indices = g.Input(1), dy = g.Dy;
        int rank = g.RankOf(x), q = g.RankOf(indices);
        long axis = g.AttrInt("axis", 0);
        if (axis < 0) axis += rank;
        g.Graph.RequireOpset("", 16); // ScatterND with reduction
        if (indices.ElementType != ElementType.Int64) indices = Op.Cast(indices, ElementType.Int64);
        if (g.ConstantInts(1) is not { } known || known.Any(i => i < 0))
        {
            var dim = Op.Gather(Op.Shape(x), g.Graph.Scalar(axis, ElementType.Int64));
            indices = Op.Where(Op.Less(indices, g.Graph.Scalar(0, ElementType.Int64)), Op.Add(indices, dim), indices);
        }
        var index = Op.Unsqueeze(indices, -1);
        if (axis == 0)
        {
            g.InputGrad(0, g.Graph.Node1("ScatterND", [g.ZerosLike(x), index, dy], Attr.String("reduction", "add")));
            return;
        }
        long[] xPerm = [axis, .. Enumerable.Range(0, rank).Where(i => i != axis).Select(i => (long)i)];
        long[] dyPerm = [.. Enumerable.Range((int)axis, q).Select(i => (long)i), .. Enumerable.Range(0, (int)axis).Select(i => (long)i),
            .. Enumerable.Range((int)axis + q, rank - 1 - (int)axis).Select(i => (long)i)];
        var zeros = Op.ConstantOfShape(Op.Gather(Op.Shape(x), g.Ints(xPerm)), 0, g.ElementType);
        var scattered = g.Graph.Node1("ScatterND", [zeros, index, Op.Transpose(dy, dyPerm)], Attr.String("reduction", "add"));
        var inverse = new long[rank];
        for (int i = 0; i < rank; i++) inverse[xPerm[i]] = i;
        g.InputGrad(0, Op.Transpose(scattered, inverse));
    }

    [Gradient("GatherElements")]
    static void GatherElements(GradScope g)
    {
        var x = g.Input(0);
        g.Graph.RequireOpset("", 16);
        g.InputGrad(0, Op.ScatterElements(g.ZerosLike(x), g.Input(1), g.Dy, (int)g.AttrInt("axis", 0), "add"));
    }
}
