using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Elementwise family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class ElementwiseShapeTests
{
    private static readonly string[] Unary =
    [
        "Neg", "Abs", "Sqrt", "Exp", "Log", "Reciprocal", "Erf", "Sign", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan",
        "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Identity", "Clip",
    ];

    private static Value U32(GraphBuilder g, long[] data, params long[] shape) => Op.Cast(Ints(g, data, shape), ElementType.UInt32);
    private static Value Bools(GraphBuilder g, Value x) => Op.Greater(x, F(g, 0));

    internal static readonly Dictionary<string, ShapeCase> Cases = new Dictionary<string, ShapeCase>
    {
        ["Where"] = new(17, g => [Op.Where(Op.Greater(X(g, "a", 3, 1), F(g, 0)), X(g, "b", 1, 4), F(g, 1))]),
        ["Add broadcast"] = new(17, g => [X(g, "a", 2, 1, 4) + X(g, "b", 3, 1)]),
        ["Sub scalar"] = new(17, g => [X(g, "a", 2, 3) - F(g, 1)]),
        ["Mul"] = new(17, g => [X(g, "a", 4, 1) * X(g, "b", 1, 5)]),
        ["Div"] = new(17, g => [X(g, "a", 3) / X(g, "b", 2, 3)]),
        ["Mod fmod"] = new(17, g => N(g, "Mod", [X(g, "a", 2, 3), X(g, "b", 3)], 1, Attr.Int("fmod", 1))),
        ["Pow"] = new(17, g => [Op.Pow(X(g, "a", 2, 3), X(g, "b", 1))]),
        ["Equal, Less, LessOrEqual, GreaterOrEqual"] = new(17, g =>
        [
            Op.Equal(X(g, "a", 2, 1), X(g, "b", 3)), Op.Less(X(g, "c", 2, 3), F(g, 0)),
            Op.LessOrEqual(X(g, "d", 1, 3), X(g, "e", 2, 1)), Op.GreaterOrEqual(X(g, "f", 3), X(g, "h", 2, 3)),
        ]),
        ["And, Or, Xor, Not"] = new(17, g =>
        [
            Op.And(Bools(g, X(g, "a", 2, 1)), Bools(g, X(g, "b", 3))), N(g, "Or", [Bools(g, X(g, "c", 2, 3)), Bools(g, X(g, "d", 3))])[0],
            N(g, "Xor", [Bools(g, X(g, "e", 1, 3)), Bools(g, X(g, "f", 2, 1))])[0], Op.Not(Bools(g, X(g, "h", 4))),
        ]),
        ["IsNaN, IsInf"] = new(17, g => [Op.IsNaN(X(g, "a", 2, 3)), Op.IsInf(X(g, "b", 3, 1))]),
        ["Max, Min, Sum, Mean of three"] = new(17, g =>
        [
            Op.Max(X(g, "a", 2, 1), X(g, "b", 3), F(g, 0)), Op.Min(X(g, "c", 3), X(g, "d", 4, 1)),
            Op.Sum(X(g, "e", 2, 3), X(g, "f", 3), X(g, "h", 2, 1)), Op.Mean(X(g, "i", 1, 3), X(g, "j", 2, 1)),
        ]),
        ["Cast to int64, CastLike"] = new(17, g => [Op.Cast(X(g, "a", 2, 3), ElementType.Int64), Op.CastLike(X(g, "b", 3, 2), Ints(g, [1], 1))]),
        ["Bitwise and shifts on uint32"] = new(18, g =>
        [
            N(g, "BitwiseAnd", [U32(g, [1, 2, 3], 3), U32(g, [7], 1)])[0], N(g, "BitwiseOr", [U32(g, [1, 2], 2, 1), U32(g, [4, 5, 6], 3)])[0],
            N(g, "BitwiseXor", [U32(g, [1, 2, 3], 3), U32(g, [2], 1)])[0], N(g, "BitwiseNot", [U32(g, [1, 2, 3, 4], 2, 2)])[0],
            N(g, "BitShift", [U32(g, [1, 2, 3], 3), U32(g, [1], 1)], 1, Attr.String("direction", "LEFT"))[0],
        ]),
    }.Concat(Unary.Select(op => new KeyValuePair<string, ShapeCase>(op, new(17, g => N(g, op, [X(g, "x", 2, 3, 4)])))))
     .ToDictionary();

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
