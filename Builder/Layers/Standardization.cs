using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Fixed input standardisation inside the model, (x − mean) / std, like Keras' <c>Normalization</c> layer after
/// <c>adapt()</c>: the statistics are fitted on the training split once (e.g. with the Trainer's
/// <c>Standardize.Fit</c>) and baked into the graph as constants, so the exported model takes the same raw
/// inputs as before and every runtime that serves it applies the same preprocessing. Nothing here is trained.
/// </summary>
public sealed class Standardization : Module
{
    /// <summary>One mean for the whole input, or one per channel (dimension 1 of the batched input).</summary>
    public IReadOnlyList<float> Mean { get; }
    /// <summary>Standard deviations, as many as <see cref="Mean"/>; all positive.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>Creates the layer from fitted statistics.</summary>
    public Standardization(float[] mean, float[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Standardization: expected as many means as stds (at least one), got {mean.Length} and {std.Length}");
        for (int i = 0; i < std.Length; i++)
            if (!(std[i] > 0) || float.IsInfinity(std[i]) || !float.IsFinite(mean[i]))
                throw new ArgumentException($"Standardization: statistic {i} is mean {mean[i]}, std {std[i]}; expected a finite mean and a finite std > 0");
        Mean = mean; Std = std;
    }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var g = x.Builder;
        int channels = Mean.Count;
        long[] shape = [channels];
        if (channels > 1)
        {
            // Per channel: [C, 1, …, 1] so it broadcasts over the batch and the positions after the channel axis.
            var s = x.Shape ?? throw new GraphBuildException($"Standardization '{Prefix.TrimEnd('.')}': input '{x.Name}' has unknown rank; per-channel statistics need [batch, channels, …]");
            if (s.Rank < 2 || !s[1].Compatible(channels))
                throw new GraphBuildException($"Standardization '{Prefix.TrimEnd('.')}': input '{x.Name}' has shape {s}, expected [batch, {channels}, …] for {channels} per-channel statistics");
            shape = [channels, .. Enumerable.Repeat(1L, s.Rank - 2)];
        }
        // Constants of the input's float type, so a float64 graph (gradient checks) stays float64.
        var mean = g.Constant(Constant(x.ElementType, Mean, shape));
        var std = g.Constant(Constant(x.ElementType, Std, shape));
        return (x - mean) / std;
    }

    private static OnnxKit.Schema.TensorProto Constant(ElementType type, IReadOnlyList<float> values, long[] shape) => type switch
    {
        ElementType.Float32 => TensorData.FromFloats("", values.ToArray(), shape),
        ElementType.Float64 => TensorData.FromDoubles("", values.Select(v => (double)v).ToArray(), shape),
        _ => throw new GraphBuildException($"Standardization: input must be float32 or float64, got {type}"),
    };
}
