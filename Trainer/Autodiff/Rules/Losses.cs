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
        var p = g.NeedsGrad(0) ? Op.Exp(g.Output(1)) : null;
        if (g.OutputGrad(0) is not null)
        {
            var t = Targets(g, g.Input(0));
            if (p is not null) g.InputGrad(0, (p - t.OneHot) * t.PerSample);
            ClassWeights(g, g.Output(1), t);
        }
        // log_prob is itself an output (a LogSoftmax over axis 1) that may feed other nodes.
        if (p is not null && g.OutputGrad(1) is { } dlogp)
            g.InputGrad(0, dlogp - p * Op.ReduceSum(dlogp, [1], keepDims: true));
    }

    // loss_i = −w[y_i]·x[i, y_i]: d/dx = −onehot(y)·coef_i·factor.
    [Gradient("NegativeLogLikelihoodLoss")]
    static void NegativeLogLikelihood(GradScope g)
    {
        var t = Targets(g, g.Input(0));
        if (g.NeedsGrad(0)) g.InputGrad(0, -(t.OneHot * t.PerSample));
        ClassWeights(g, g.Input(0), t);
    }

    // A class-weight input that is itself trained: with l_i = −logp[i, y_i] and c_i = w[y_i]·valid_i, the loss is
    // Σ c_i·l_i (divided by Σ c_i for mean), so d/dw[k] = Σ over the samples of class k of valid_i·(l_i − mean)·factor,
    // where mean is the loss itself for reduction mean and 0 otherwise.
    private static void ClassWeights(GradScope g, Value logp, LossTargets t)
    {
        if (!g.HasInput(2) || !g.NeedsGrad(2)) return;
        var picked = -Op.ReduceSum(t.OneHot * logp, [1], keepDims: false);
        if (g.AttrString("reduction", "mean") == "mean") picked = picked - g.Output(0);
        var perSample = picked * t.Factor;
        if (t.Valid is not null) perSample = perSample * g.AsGradType(t.Valid);
        var otherAxes = Enumerable.Range(0, g.RankOf(logp)).Where(a => a != 1).Select(a => (long)a).ToArray();
        g.InputGrad(2, Op.ReduceSum(t.OneHot * Op.Unsqueeze(perSample, 1), otherAxes, keepDims: false));
    }

    private readonly record struct LossTargets(Value OneHot, Value PerSample, Value Factor, Value? Valid);

    // The one-hot targets [N, C, …] and each sample's factor (weight, ignore mask, reduction, output gradient),
    // shaped to broadcast against them.
    private static LossTargets Targets(GradScope g, Value scores)
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
        if (coef is null && reduction != "none") return new(onehot, factor, factor, valid); // a scalar broadcasts as is
        var perSample = coef is null ? factor : coef * factor;
        return new(onehot, Op.Unsqueeze(perSample, 1), factor, valid);
    }
}
