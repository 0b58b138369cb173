using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Generation family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class GenerationShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["Shape"] = new(17, g => [Op.Shape(X(g, "x", 2, 3, 4))]),
        ["Shape start/end"] = new(15, g => [Op.Shape(X(g, "x", 2, 3, 4, 5), -3, -1)]),
        ["Size"] = new(17, g => [Op.Size(X(g, "x", 2, 3, 4))]),
        ["ConstantOfShape int64"] = new(17, g => [Op.ConstantOfShape(Ints(g, [2, 3], 2), 7, ElementType.Int64)]),
        ["ConstantOfShape default float"] = new(17, g => N(g, "ConstantOfShape", [Ints(g, [4], 1)])),
        ["Range"] = new(17, g => [Op.Range(F(g, 1), F(g, 8.5f), F(g, 2))]),
        ["Range int64 descending"] = new(17, g => [Op.Range(g.Scalar(10, ElementType.Int64), g.Scalar(1, ElementType.Int64), g.Scalar(-3, ElementType.Int64))]),
        ["Trilu"] = new(17, g => [Op.Trilu(X(g, "x", 2, 3, 4), upper: false, k: 1)]),
        ["Shape start only"] = new(15, g => [Op.Shape(X(g, "x", 2, 3, 4, 5), 1)]),
        ["EyeLike"] = new(17, g => N(g, "EyeLike", [X(g, "x", 3, 5)], 1, Attr.Int("k", 1))),
        ["RandomNormalLike"] = new(17, g => N(g, "RandomNormalLike", [X(g, "x", 3, 5)])),
        ["RandomUniform"] = new(17, g => N(g, "RandomUniform", [], 1, Attr.Ints("shape", [2, 7]))),
        ["Bernoulli"] = new(17, g => N(g, "Bernoulli", [Op.Sigmoid(X(g, "x", 3, 5))])),
        ["Constant value_ints feeding Reshape"] = new(17, g => [Op.Reshape(X(g, "x", 2, 3, 4), N(g, "Constant", [], 1, Attr.Ints("value_ints", [4, -1]))[0])]),
        ["Constant value_float"] = new(17, g => N(g, "Constant", [], 1, Attr.Float("value_float", 2.5f))),
        ["Range float fractional"] = new(17, g => [Op.Range(F(g, 0.1f), F(g, 1.0f), F(g, 0.3f))]),
        ["RandomNormal"] = new(17, g => N(g, "RandomNormal", [], 1, Attr.Ints("shape", [3, 1, 2]))),
        ["RandomUniformLike"] = new(17, g => N(g, "RandomUniformLike", [X(g, "x", 4, 2)])),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
