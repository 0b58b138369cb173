using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Activations: the input's type and shape (PRelu broadcasts its slope; the softmax family checks its axis).</summary>
internal static class Activations
{
    [ShapeRule("Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish",
        "Mish", "Gelu", "ThresholdedRelu", "Shrink", "Swish")]
    private static TensorType?[] SameAsInput(ShapeContext c) => [c.Input(0)];

    [ShapeRule("PRelu")]
    private static TensorType?[] PRelu(ShapeContext c) => [c.Like(0, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))];

    [ShapeRule("Softmax", "LogSoftmax", "Hardmax")]
    private static TensorType?[] Softmax(ShapeContext c)
    {
        var x = c.Input(0);
        // The default axis moved from 1 (flattening softmax) to −1 at opset 13.
        if (x.Shape is { } s) c.Axis(c.Int("axis", c.Opset >= 13 ? -1 : 1), s.Rank);
        return [x];
    }
}
