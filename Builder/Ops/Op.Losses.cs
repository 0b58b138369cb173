using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>
    /// ONNX's fused softmax cross-entropy: scores [N, C, …] and integer labels [N, …]; reduction mean/sum/none,
    /// optional class <paramref name="weights"/> [C] and <paramref name="ignoreIndex"/>. Returns [loss, log_prob].
    /// </summary>
    public static Value[] SoftmaxCrossEntropyLoss(Value scores, Value labels, Value? weights = null, string reduction = "mean", long? ignoreIndex = null)
    {
        var attrs = new List<AttributeProto> { Attr.String("reduction", reduction) };
        if (ignoreIndex is not null) attrs.Add(Attr.Int("ignore_index", ignoreIndex.Value));
        B(scores).RequireOpset("", 13);
        return B(scores).Node("SoftmaxCrossEntropyLoss", weights is null ? [scores, labels] : [scores, labels, weights], 2, attrs);
    }

    /// <summary>Negative log-likelihood of log-probabilities [N, C, …] at integer labels [N, …].</summary>
    public static Value NegativeLogLikelihoodLoss(Value logProb, Value labels, Value? weights = null, string reduction = "mean", long? ignoreIndex = null)
    {
        var attrs = new List<AttributeProto> { Attr.String("reduction", reduction) };
        if (ignoreIndex is not null) attrs.Add(Attr.Int("ignore_index", ignoreIndex.Value));
        B(logProb).RequireOpset("", 13);
        return B(logProb).Node("NegativeLogLikelihoodLoss", weights is null ? [logProb, labels] : [logProb, labels, weights], 1, attrs)[0];
    }
}
