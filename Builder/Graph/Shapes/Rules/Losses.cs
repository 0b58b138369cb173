using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss: scores [N, C, d…] with integer labels [N, d…].</summary>
internal static class Losses
{
    [ShapeRule("SoftmaxCrossEntropyLoss")]
    private static TensorType?[] SoftmaxCrossEntropyLoss(ShapeContext c)
    {
        var loss = Loss(c);
        // The optional second output is the log-probabilities, shaped like the scores.
        return c.Node.Outputs.Count > 1 ? [loss, c.Input(0)] : [loss];
    }

    [ShapeRule("NegativeLogLikelihoodLoss")]
    private static TensorType?[] NegativeLogLikelihoodLoss(ShapeContext c) => [Loss(c)];

    private static TensorType Loss(ShapeContext c)
    {
        var scores = c.Input(0).Shape;
        var labels = c.Input(1);
        if (!DimMath.IsIndexType(labels.ElementType))
            throw c.Fail($"labels '{c.InputName(1)}' must be int32 or int64 class indices, got {labels.ElementType.OnnxName()}");
        if (scores is not null && scores.Rank < 2) throw c.Fail($"scores '{c.InputName(0)}' {scores} must be [N, C, d…] (rank ≥ 2)");
        var l = labels.Shape;
        if (scores is not null && l is not null)
        {
            // Labels are the scores' shape without the class axis 1.
            var expected = new Shape(scores.Take(1).Concat(scores.Skip(2)));
            if (l.Rank != expected.Rank || expected.Zip(l).Any(p => !p.First.Compatible(p.Second)))
                throw c.Fail($"labels '{c.InputName(1)}' {l} do not fit scores {scores}; expected labels of shape {expected} (the scores' shape without the class axis)");
        }
        if (c.HasInput(2) && c.Input(2).Shape is { } w)
        {
            Dim classes = scores?[1] ?? Dim.Unknown;
            if (w.Rank != 1 || !w[0].Compatible(classes))
                throw c.Fail($"weights '{c.InputName(2)}' {w} must be [{classes}] (one per class of scores {scores})");
        }
        string reduction = c.String("reduction", "mean")!;
        return reduction switch
        {
            "mean" or "sum" => c.Like(0, Shape.Scalar),
            // Unreduced: one loss per label position, sized from whichever of labels and scores knows more.
            "none" => c.Like(0, l is not null && scores is not null
                ? new Shape(l.Select((d, i) => DimMath.Merge(d, i == 0 ? scores[0] : scores[i + 1]) ?? d))
                : l ?? (scores is null ? null : new Shape(scores.Take(1).Concat(scores.Skip(2))))),
            _ => throw c.Fail($"reduction '{reduction}' is not one of none, sum, mean"),
        };
    }
}
