using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff;

/// <summary>Undoing numpy broadcasting on gradients, in one place for every rule.</summary>
internal static class Broadcasting
{
    /// <summary>
    /// Sums <paramref name="grad"/> (shaped like a broadcast result) down to the shape of <paramref name="like"/>.
    /// Static shapes: ReduceSum over the broadcast axes (and Squeeze of the added leading ones); equal symbolic
    /// dimensions need nothing. Where the shapes do not decide it, a run-time form computes the axes from Shape ops.
    /// </summary>
    public static Value Unbroadcast(Value grad, Value like)
    {
        var g = grad.Builder;
        Shape? gs = grad.Shape, xs = like.Shape;
        if (gs is not null && xs is not null && xs.Rank <= gs.Rank)
        {
            int lead = gs.Rank - xs.Rank;
            var axes = Enumerable.Range(0, lead).Select(a => (long)a).ToList();
            bool decided = true;
            for (int k = 0; k < xs.Rank && decided; k++)
            {
                Dim xd = xs[k], gd = gs[lead + k];
                if (xd.SameAs(gd) || gd is { IsKnown: true, Value: 1 }) continue;
                if (xd is { IsKnown: true, Value: 1 }) axes.Add(lead + k);
                else decided = false;
            }
            if (decided)
            {
                if (axes.Count == 0) return grad;
                // Only added leading axes (a bias row): one ReduceSum that drops them.
                if (axes.Count == lead) return Op.ReduceSum(grad, axes.ToArray(), keepDims: false);
                var r = Op.ReduceSum(grad, axes.ToArray(), keepDims: true);
                return lead > 0 ? Op.Squeeze(r, Enumerable.Range(0, lead).Select(a => (long)a).ToArray()) : r;
            }
        }
        if (g.Opset < 13)
            throw new GradientException($"cannot undo broadcasting of '{grad.Name}' {grad.Type} to '{like.Name}' {like.Type}: shapes unknown and opset {g.Opset} < 13 has no ReduceSum with run-time axes");
        // Run time: pad like's shape with leading 1s to grad's rank; reduce where the two differ.
        var sx = Op.Shape(like);
        var sg = Op.Shape(grad);
        // [1]·rank(grad) ++ shape(like), keeping the last rank(grad) entries (no Size arithmetic: ORT's shape
        // inference mis-propagates it).
        var ones = Op.ConstantOfShape(Op.Shape(sg), 1, ElementType.Int64);
        var padded = g.Node1("Slice", [Op.Concat(0, ones, sx), Op.Shape(sx), g.Int64s(long.MaxValue)]);
        var axesDyn = Op.Reshape(g.Node1("NonZero", [Op.Not(Op.Equal(padded, sg))]), -1);
        var summed = g.Node("ReduceSum", [grad, axesDyn], 1, [Attr.Int("keepdims", 1), Attr.Int("noop_with_empty_axes", 1)])[0];
        return Op.Reshape(summed, sx);
    }
}
