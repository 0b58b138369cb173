using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss (class weights, ignore_index, every reduction).</summary>
internal static class Losses
{
    // loss_i = −w[y_i]·log p[i, y_i] (0 where y_i = ignore_index). d/dscores = (p − onehot(y))·coef_i·factor,
    // with p from the node's own log_prob output (added when absent).
    [Gradient("SoftmaxCrossEntropyLoss")]
    static void SoftmaxCrossEntropy(GradScope g)
    {
        if (!g.NeedsGrad(0)) return;
        var p = Op.Exp(g.Output(1));
        if (g.OutputGrad(0) is not null)
        {
            var (onehot, perSample) = Targets(g, g.Input(0));
            g.InputGrad(0, (p - onehot) * perSample);
        }
        // log_prob is itself an output (a LogSoftmax over axis 1) that may feed other nodes.
        if (g.OutputGrad(1) is { } dlogp)
            g.InputGrad(0, dlogp - p * Op.ReduceSum(dlogp, [1], keepDims: true));
    }

    // loss_i = −w[y_i]·x[i, y_i]: d/dx = −onehot(y)·coef_i·factor.
    [Gradient("NegativeLogLikelihoodLoss")]
    static void NegativeLogLikelihood(GradScope g)
    {
        if (!g.NeedsGrad(0)) return;
        var (onehot, perSample) = Targets(g, g.Input(0));
        g.InputGrad(0, -(onehot * perSample));
    }

    // The one-hot targets [N, C, …] and each sample's factor (weight, ignore mask, reduction, output gradient),
    // shaped to broadcast against them.
    private static (Value OneHot, Value PerSample) Targets(GradScope g, Value scores)
    {
        var labels = g.Input(1);
        string reduction = g.AttrString("reduction", "mean")!;
        Value? valid = null;
        if (g.Node.Attribute("ignore_index") is not null)
            valid = Op.Not(Op.Equal(labels, g.Graph.Scalar(g.AttrInt("ignore_index", 0), labels.ElementType)));
        var safe = valid is null ? labels : Op.Where(valid, labels, g.Graph.Scalar(0, labels.ElementType));
        // One-hot along the class axis as a scatter of ones (ORT has no float64 OneHot kernel).
        var index = Op.Unsqueeze(safe, 1);
        var onehot = Op.ScatterElements(g.ZerosLike(scores), index, Op.ConstantOfShape(Op.Shape(index), 1, g.ElementType), 1);
        Value? coef = g.HasInput(2) ? Op.Gather(g.Input(2), safe) : null;
        if (valid is not null) coef = coef is null ? g.AsGradType(valid) : coef * g.AsGradType(valid);
        Value factor = reduction switch
        {
            "none" or "sum" => g.Dy,
            "mean" => g.Dy / (coef is null ? g.AsGradType(Op.Size(labels)) : Op.ReduceSum(coef, keepDims: false)),
            _ => throw g.Fail($"unknown reduction '{reduction}'"),
        };
        if (coef is null && reduction != "none") return (onehot, factor); // a scalar broadcasts as is
        var perSample = coef is null ? factor : coef * factor;
        return (onehot, Op.Unsqueeze(perSample, 1));
    }
}
