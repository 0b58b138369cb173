using OnnxKit.IR;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>
    /// Batch normalisation in inference form: (x − mean)/√(var + ε)·scale + bias over axis 1, with the running statistics.
    /// </summary>
    public static Value BatchNormalization(Value x, Value scale, Value bias, Value mean, Value variance, float epsilon = 1e-5f) =>
        B(x).Node1("BatchNormalization", [x, scale, bias, mean, variance], Attr.Float("epsilon", epsilon));

    /// <summary>
    /// Batch normalisation in training form (opset ≥ 15): normalises with the batch statistics and returns
    /// [y, next running mean, next running var] where next = momentum·running + (1 − momentum)·batch (ONNX's convention;
    /// PyTorch's momentum m corresponds to 1 − m here). Note: ONNX Runtime updates the running variance with the biased
    /// batch variance, PyTorch with the unbiased one; the BatchNorm layers therefore compute their statistics with plain ops.
    /// ONNX Runtime 1.31's CPU kernel was also seen to return a wrong y in some graphs (normalised with the input
    /// statistics when graph optimisations were off), another reason the layers do not use this op (bench/RESULTS.md).
    /// </summary>
    public static Value[] BatchNormalizationTraining(Value x, Value scale, Value bias, Value runningMean, Value runningVar, float epsilon = 1e-5f, float momentum = 0.9f)
    {
        B(x).RequireOpset("", 15);
        return B(x).Node("BatchNormalization", [x, scale, bias, runningMean, runningVar], 3,
            [Attr.Float("epsilon", epsilon), Attr.Float("momentum", momentum), Attr.Int("training_mode", 1)]);
    }

    /// <summary>Layer normalisation over the axes from <paramref name="axis"/> to the last (opset ≥ 17).</summary>
    public static Value LayerNormalization(Value x, Value scale, Value? bias = null, int axis = -1, float epsilon = 1e-5f)
    {
        B(x).RequireOpset("", 17);
        return B(x).Node("LayerNormalization", bias is null ? [x, scale] : [x, scale, bias], 1, [Attr.Int("axis", axis), Attr.Float("epsilon", epsilon)])[0];
    }

    /// <summary>Instance normalisation over the spatial axes, per sample and channel.</summary>
    public static Value InstanceNormalization(Value x, Value scale, Value bias, float epsilon = 1e-5f) =>
        B(x).Node1("InstanceNormalization", [x, scale, bias], Attr.Float("epsilon", epsilon));

    /// <summary>
    /// Dropout. With <paramref name="training"/> false it is the identity; in training it zeroes elements with probability
    /// <paramref name="ratio"/> and scales the rest by 1/(1 − ratio). Returns [output, mask].
    /// </summary>
    public static Value[] Dropout(Value x, double ratio, bool training, long? seed = null)
    {
        var g = B(x);
        g.RequireOpset("", 12);
        var attrs = seed is null ? [] : new[] { Attr.Int("seed", seed.Value) };
        return g.Node("Dropout", [x, g.Scalar(ratio, x.ElementType == ElementType.Float64 ? ElementType.Float64 : ElementType.Float32), g.Constant(TensorData.FromBools("", [training]))], 2, attrs);
    }
}
