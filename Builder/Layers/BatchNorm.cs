using OnnxKit.Init;
using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Batch normalisation over the channel axis 1 (PyTorch's <c>nn.BatchNormNd</c>). Inference normalises with the
/// running statistics (one <c>BatchNormalization</c> node). In a training graph (<see cref="GraphBuilder.Training"/>)
/// it normalises with the batch statistics (biased variance) and records in <see cref="GraphBuilder.BufferUpdates"/>
/// the next running statistics with PyTorch's rule: running ← (1 − momentum)·running + momentum·batch, the variance
/// entering as the unbiased batch variance. The batch statistics are computed with plain ops (ReduceMean, Sub, Mul) and
/// fed to an inference-form <c>BatchNormalization</c>, rather than using that op's training mode: ONNX Runtime runs
/// that mode, but updates the running variance with the biased batch variance (as the ONNX specification writes it),
/// which is not PyTorch's rule, and its CPU kernel returned a wrong Y in some graphs (see Op.BatchNormalizationTraining).
/// <c>num_batches_tracked</c> is not kept.
/// </summary>
public abstract class BatchNormNd : Module
{
    /// <summary>Channels (C).</summary>
    public long NumFeatures { get; }
    /// <summary>ε added to the variance.</summary>
    public float Eps { get; }
    /// <summary>PyTorch's momentum: weight of the batch statistic in the running update.</summary>
    public float Momentum { get; }
    /// <summary>Scale γ (ones), or null without affine.</summary>
    public Parameter? Weight { get; }
    /// <summary>Shift β (zeros), or null without affine.</summary>
    public Parameter? Bias { get; }
    /// <summary>Running mean buffer (zeros).</summary>
    public Parameter RunningMean { get; }
    /// <summary>Running variance buffer (ones).</summary>
    public Parameter RunningVar { get; }

    /// <summary>Creates the layer.</summary>
    protected BatchNormNd(long numFeatures, float eps, float momentum, bool affine)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, $"{GetType().Name}: num_features must be positive");
        if (momentum is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{GetType().Name}: momentum must lie in [0, 1]");
        NumFeatures = numFeatures; Eps = eps; Momentum = momentum;
        if (affine)
        {
            Weight = AddParameter("weight", [numFeatures], Initializers.Ones);
            Bias = AddParameter("bias", [numFeatures], Initializers.Zeros);
        }
        RunningMean = AddBuffer("running_mean", [numFeatures], Initializers.Zeros);
        RunningVar = AddBuffer("running_var", [numFeatures], Initializers.Ones);
    }

    /// <summary>
    /// Values one sample gives each channel (the product of the axes after the channel axis: 1 for [N, C]), as seen when
    /// the layer last built a training graph; null before that or where those axes are not static. A training batch
    /// needs more than one value per channel: with one, the batch variance is 0/0 for the running estimate.
    /// </summary>
    public long? ValuesPerChannelPerSample { get; private set; }

    /// <summary>The input ranks the layer accepts.</summary>
    protected abstract int[] AcceptedRanks { get; }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var g = x.Builder;
        string name = Prefix.TrimEnd('.');
        if (x.Shape is { } shape)
        {
            if (!AcceptedRanks.Contains(shape.Rank))
                throw new GraphBuildException($"{GetType().Name} '{name}': input '{x.Name}' has shape {shape}, expected rank {Ranks()} with {NumFeatures} channels on axis 1");
            if (!shape[1].Compatible(NumFeatures))
                throw new GraphBuildException($"{GetType().Name} '{name}': input '{x.Name}' has shape {shape}, expected {NumFeatures} channels on axis 1");
        }
        Value scale = Weight?.In(g) ?? g.Constant(TensorData.FromFloats("", Ones(), NumFeatures));
        Value shift = Bias?.In(g) ?? g.Constant(TensorData.FromFloats("", new float[NumFeatures], NumFeatures));
        Value runMean = RunningMean.In(g), runVar = RunningVar.In(g);
        if (!g.Training) return Op.BatchNormalization(x, scale, shift, runMean, runVar, Eps).As(x);

        // The training form reduces over every axis but 1, so it needs the rank (implied where only one is accepted).
        int rank = x.Rank ?? (AcceptedRanks.Length == 1 ? AcceptedRanks[0]
            : throw new GraphBuildException($"{GetType().Name} '{name}': input '{x.Name}' has unknown rank; the training form needs it (expected {Ranks()})"));
        long[] axes = [0, .. Enumerable.Range(2, rank - 2).Select(i => (long)i)];
        ValuesPerChannelPerSample = x.Shape is { } inputShape && inputShape.Skip(2).All(d => d.IsKnown)
            ? inputShape.Skip(2).Aggregate(1L, (a, d) => a * d.Value!.Value) : null;
        var mean = Op.ReduceMean(x, axes, keepDims: true).As(x);
        var centered = x - mean;
        var variance = Op.ReduceMean(centered * centered, axes, keepDims: true).As(x);
        var batchMean = Op.Reshape(mean, NumFeatures).As(x);
        var batchVariance = Op.Reshape(variance, NumFeatures).As(x);
        // The normalisation itself is one inference-form BatchNormalization fed with the batch statistics: one pass
        // instead of four elementwise ones, and the autodiff recognises this pattern and gives its closed-form training
        // gradient (OnnxKit.Training's BatchStatistics).
        var y = Op.BatchNormalization(x, scale, shift, batchMean, batchVariance, Eps).As(x);

        // Unbiased variance for the running estimate: var·n/(n − 1), n = elements per channel (known or read at run time).
        Value count = x.Shape is { } known && known.Where((_, i) => i != 1).All(d => d.IsKnown)
            ? g.Scalar(known.Where((_, i) => i != 1).Aggregate(1L, (a, d) => a * d.Value!.Value))
            : Op.Cast(Op.Size(x), ElementType.Float32) / (double)NumFeatures;
        var unbiased = batchVariance * count / (count - 1.0);
        g.BufferUpdates[RunningMean.FullName] = runMean * (1.0 - Momentum) + batchMean * Momentum;
        g.BufferUpdates[RunningVar.FullName] = runVar * (1.0 - Momentum) + unbiased * Momentum;
        return y;
    }

    private float[] Ones() { var a = new float[NumFeatures]; Array.Fill(a, 1f); return a; }
    private string Ranks() => string.Join(" or ", AcceptedRanks);
}

/// <summary>Batch normalisation of [N, C] or [N, C, L] (PyTorch's <c>nn.BatchNorm1d</c>).</summary>
public sealed class BatchNorm1d(long numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNormNd(numFeatures, eps, momentum, affine)
{
    /// <inheritdoc/>
    protected override int[] AcceptedRanks => [2, 3];
}

/// <summary>Batch normalisation of [N, C, H, W] (PyTorch's <c>nn.BatchNorm2d</c>).</summary>
public sealed class BatchNorm2d(long numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNormNd(numFeatures, eps, momentum, affine)
{
    /// <inheritdoc/>
    protected override int[] AcceptedRanks => [4];
}
