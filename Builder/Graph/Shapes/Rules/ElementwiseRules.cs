using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Elementwise operators: same shape as the input, or numpy broadcasting of several inputs.</summary>
internal static class ElementwiseRules
{
    private static readonly string[] UnarySameType =
    [
        "Neg", "Abs", "Sqrt", "Exp", "Log", "Reciprocal", "Erf", "Sign", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan",
        "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Identity", "Relu", "Sigmoid", "Tanh", "LeakyRelu",
        "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Mish", "Gelu", "ThresholdedRelu", "Shrink",
        "Swish", "Not", "BitwiseNot", "MeanVarianceNormalization", "LpNormalization",
    ];

    private static readonly string[] BinaryArithmetic = ["Add", "Sub", "Mul", "Div", "Mod", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitShift"];
    private static readonly string[] Comparisons = ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"];
    private static readonly string[] Logical = ["And", "Or", "Xor"];
    private static readonly string[] Variadic = ["Max", "Min", "Sum", "Mean"];

    public static void Register()
    {
        foreach (var op in UnarySameType) ShapeInference.Register(op, c => [c.Input(0)]);
        foreach (var op in BinaryArithmetic)
            ShapeInference.Register(op, c => { c.SameElementType(0, 1); return [c.Like(0, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))]; });
        ShapeInference.Register("Pow", c => [c.Like(0, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))]);
        ShapeInference.Register("PRelu", c => [c.Like(0, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))]);
        foreach (var op in Comparisons)
            ShapeInference.Register(op, c => { c.SameElementType(0, 1); return [new TensorType(ElementType.Bool, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))]; });
        foreach (var op in Logical)
            ShapeInference.Register(op, c => [new TensorType(ElementType.Bool, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))]);
        ShapeInference.Register("IsNaN", c => [new TensorType(ElementType.Bool, c.Input(0).Shape)]);
        ShapeInference.Register("IsInf", c => [new TensorType(ElementType.Bool, c.Input(0).Shape)]);
        foreach (var op in Variadic)
            ShapeInference.Register(op, c =>
            {
                for (int i = 1; i < c.InputCount; i++) c.SameElementType(0, i);
                return [c.Like(0, c.Broadcast(c.Inputs.Select(t => t?.Shape).ToArray()))];
            });
        ShapeInference.Register("Clip", c => [c.Input(0)]);
        ShapeInference.Register("Where", c =>
        {
            if (c.Input(0).ElementType is not (ElementType.Bool or ElementType.Undefined))
                throw c.Fail($"the condition must be bool, got {c.Input(0).ElementType.OnnxName()}");
            c.SameElementType(1, 2);
            return [c.Like(1, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape, c.Input(2).Shape))];
        });
        ShapeInference.Register("Cast", c => [new TensorType((ElementType)c.Int("to", 0), c.Input(0).Shape)]);
        ShapeInference.Register("CastLike", c => [new TensorType(c.Input(1).ElementType, c.Input(0).Shape)]);
    }
}
