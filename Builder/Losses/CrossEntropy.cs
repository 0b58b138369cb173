using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Cross-entropy over classes on axis 1 of a prediction [N, C] or [N, C, d1, …], with PyTorch 1.13's
/// <c>cross_entropy</c> semantics: class weights (a weighted mean is Σ w·l / Σ w over the targets' weights),
/// an ignored class index (excluded from the mean), and label smoothing ε, which mixes the usual loss with the
/// mean over classes of −log p: (1 − ε)·nll + ε/C·Σ_c −w_c log p_c.
/// <para>
/// Sparse targets are class indices int64 [N, d1, …]; dense targets are probabilities of the prediction's shape
/// (one-hot or soft labels; no ignored index; the mean divides by N·d1·…, not by the weights, as PyTorch does).
/// From logits the fused <c>SoftmaxCrossEntropyLoss</c> operator is used (sparse) or <c>LogSoftmax</c> (dense);
/// from probabilities their logarithm, clamped at −100, takes the place of log-softmax.
/// </para>
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>Creates the loss; see <see cref="Losses.CrossEntropy"/>.</summary>
    public CrossEntropyLoss(bool fromLogits = true, bool sparse = true, double labelSmoothing = 0, double[]? classWeights = null,
        long? ignoreIndex = null, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must lie in [0, 1]");
        if (classWeights is { Length: 0 }) throw new ArgumentException("class weights must not be empty (pass null for none)", nameof(classWeights));
        if (ignoreIndex is not null && !sparse)
            throw new ArgumentException("an ignored class index needs class-index (sparse) targets; dense probability targets cannot ignore a class", nameof(ignoreIndex));
        FromLogits = fromLogits; Sparse = sparse; LabelSmoothing = labelSmoothing;
        ClassWeights = classWeights?.ToArray(); IgnoreIndex = ignoreIndex;
    }

    /// <summary>True when the prediction holds unnormalised scores (logits), false when it holds probabilities.</summary>
    public bool FromLogits { get; }
    /// <summary>True for class-index targets, false for probability (one-hot or soft) targets.</summary>
    public bool Sparse { get; }
    /// <summary>Label smoothing ε in [0, 1].</summary>
    public double LabelSmoothing { get; }
    /// <summary>Per-class weights [C], or null.</summary>
    public double[]? ClassWeights { get; }
    /// <summary>A target class index whose positions contribute nothing (sparse targets only), or null.</summary>
    public long? IgnoreIndex { get; }

    /// <inheritdoc/>
    public override string Name => Sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy";

    /// <inheritdoc/>
    protected override string TargetDescription => Sparse ? "class indices: the prediction's shape without the class axis 1" : "class probabilities of the prediction's shape";

    /// <inheritdoc/>
    protected override Shape? PerElementShape(TensorType prediction) => LossMath.ClassIndexType(prediction, Name).Shape;

    /// <inheritdoc/>
    public override TensorType TargetType(TensorType prediction)
    {
        var labels = LossMath.ClassIndexType(prediction, Name);
        return Sparse ? labels : prediction;
    }

    /// <inheritdoc/>
    public override Value Compute(Value prediction, Value target)
    {
        using var _ = Begin(prediction, target);
        LossMath.CheckClassWeights(ClassWeights, prediction, Name);
        return Finish(Sparse ? ComputeSparse(prediction, target) : ComputeDense(prediction, target), prediction);
    }

    private Value ComputeSparse(Value p, Value labels)
    {
        var g = p.Builder;
        var et = LossMath.FloatType(p);
        var w = ClassWeights is null ? null : LossMath.Vector(g, ClassWeights, et);
        string reduction = LossMath.OnnxReduction(Reduction);
        Value nll, logp;
        if (FromLogits)
        {
            var outs = Op.SoftmaxCrossEntropyLoss(p, labels, w, reduction, IgnoreIndex);
            nll = outs[0]; logp = outs[1];
        }
        else
        {
            logp = LossMath.ClampedLog(p, et);
            nll = Op.NegativeLogLikelihoodLoss(logp, labels, w, reduction, IgnoreIndex);
        }
        var loss = LabelSmoothing > 0 ? Smoothed(nll, logp, labels, w, p, et) : nll;
        return Reduction == Reduction.BatchMean ? Op.Div(loss, LossMath.DimSize(p, 0, et)) : loss;
    }

    // PyTorch's cross_entropy_loss_label_smoothing: the smoothing term per position is Σ_c w_c·(−log p_c), zero at
    // ignored positions, reduced like the nll term (a weighted mean divides by the targets' weights).
    private Value Smoothed(Value nll, Value logp, Value labels, Value? w, Value p, ElementType et)
    {
        var g = p.Builder;
        var weighted = w is null ? logp : logp * LossMath.ClassAxisWeights(w, p, Name);
        var s = Op.ReduceSum(weighted, [1], keepDims: false);   // Σ_c w_c log p_c, [N, d1…] (negated below)
        Value? ignored = null;
        var labelType = labels.ElementType == ElementType.Int32 ? ElementType.Int32 : ElementType.Int64;
        if (IgnoreIndex is { } ii)
        {
            ignored = Op.Equal(labels, g.Scalar(ii, labelType));
            s = Op.Where(ignored, LossMath.C(g, 0, et), s);
        }
        Value term = Reduction switch
        {
            Reduction.None => s,
            Reduction.Sum or Reduction.BatchMean => Op.ReduceSum(s, null, keepDims: false),
            Reduction.Mean when w is not null => Op.Div(Op.ReduceSum(s, null, keepDims: false), Op.ReduceSum(TargetWeights(w, labels, ignored, labelType, et), null, keepDims: false)),
            Reduction.Mean when ignored is not null => Op.Div(Op.ReduceSum(s, null, keepDims: false), Op.ReduceSum(Op.Cast(Op.Not(ignored), et), null, keepDims: false)),
            _ => Op.ReduceMean(s, null, keepDims: false),
        };
        var eps = LossMath.C(g, LabelSmoothing, et) / LossMath.DimSize(p, 1, et);
        return Op.Sub(nll * LossMath.C(g, 1 - LabelSmoothing, et), term * eps);
    }

    // w[target] per position, zero where the target is ignored (its index may lie outside [0, C), so it is
    // replaced by 0 before the Gather).
    private static Value TargetWeights(Value w, Value labels, Value? ignored, ElementType labelType, ElementType et)
    {
        var g = w.Builder;
        if (ignored is null) return Op.Gather(w, labels);
        var safe = Op.Where(ignored, g.Scalar(0, labelType), labels);
        return Op.Where(ignored, LossMath.C(g, 0, et), Op.Gather(w, safe));
    }

    // PyTorch's cross_entropy_loss_prob_target: −Σ_c w_c·t_c·log p_c per position, with t smoothed to
    // t(1 − ε) + ε/C; the mean divides by the number of positions.
    private Value ComputeDense(Value p, Value t)
    {
        var g = p.Builder;
        var et = LossMath.FloatType(p);
        var logp = FromLogits ? Op.LogSoftmax(p, axis: 1) : LossMath.ClampedLog(p, et);
        if (LabelSmoothing > 0)
            t = t * LossMath.C(g, 1 - LabelSmoothing, et) + LossMath.C(g, LabelSmoothing, et) / LossMath.DimSize(p, 1, et);
        var prod = logp * t;
        if (ClassWeights is not null) prod = prod * LossMath.ClassAxisWeights(LossMath.Vector(g, ClassWeights, et), p, Name);
        var perPosition = Op.ReduceSum(prod, [1], keepDims: false);
        return Op.Neg(LossMath.Reduce(perPosition, Reduction, p, et));
    }
}
