using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Elementwise arithmetic, maths, comparison, logic and casts: same shape as the input, or numpy broadcasting of several inputs.</summary>
internal static class Elementwise
{
    [ShapeRule("Neg", "Abs", "Sqrt", "Exp", "Log", "Reciprocal", "Erf", "Sign", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan",
        "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Identity", "Not", "BitwiseNot", "Clip")]
    private static TensorType?[] SameAsInput(ShapeContext c) => [c.Input(0)];

    [ShapeRule("Add", "Sub", "Mul", "Div", "Mod", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitShift")]
    private static TensorType?[] BinaryArithmetic(ShapeContext c)
    {
        c.SameElementType(0, 1);
        return [c.Like(0, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))];
    }

    [ShapeRule("Pow")]
    private static TensorType?[] Pow(ShapeContext c) => [c.Like(0, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))];

    [ShapeRule("Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual")]
    private static TensorType?[] Comparison(ShapeContext c)
    {
        c.SameElementType(0, 1);
        return [new TensorType(ElementType.Bool, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))];
    }

    [ShapeRule("And", "Or", "Xor")]
    private static TensorType?[] Logical(ShapeContext c) => [new TensorType(ElementType.Bool, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape))];

    [ShapeRule("IsNaN", "IsInf")]
    private static TensorType?[] Test(ShapeContext c) => [new TensorType(ElementType.Bool, c.Input(0).Shape)];

    [ShapeRule("Max", "Min", "Sum", "Mean")]
    private static TensorType?[] Variadic(ShapeContext c)
    {
        for (int i = 1; i < c.InputCount; i++) c.SameElementType(0, i);
        return [c.Like(0, c.Broadcast(c.Inputs.Select(t => t?.Shape).ToArray()))];
    }

    [ShapeRule("Where")]
    private static TensorType?[] Where(ShapeContext c)
    {
        if (c.Input(0).ElementType is not (ElementType.Bool or ElementType.Undefined))
            throw c.Fail($"the condition must be bool, got {c.Input(0).ElementType.OnnxName()}");
        c.SameElementType(1, 2);
        return [c.Like(1, c.Broadcast(c.Input(0).Shape, c.Input(1).Shape, c.Input(2).Shape))];
    }

    [ShapeRule("Cast")]
    private static TensorType?[] Cast(ShapeContext c) => [new TensorType((ElementType)c.Int("to", 0), c.Input(0).Shape)];

    [ShapeRule("CastLike")]
    private static TensorType?[] CastLike(ShapeContext c) => [new TensorType(c.Input(1).ElementType, c.Input(0).Shape)];
}
