using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Resampling family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class ResamplingShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["Resize scales"] = new(17, g => [Op.Resize(X(g, "x", 1, 2, 3, 5), [1, 1, 2, 1.5f])]),
        ["Resize sizes"] = new(17, g => N(g, "Resize", [X(g, "x", 1, 2, 3, 5), null, null, Ints(g, [1, 2, 7, 4], 4)], 1)),
        ["Upsample (opset 9)"] = new(9, g => N(g, "Upsample", [X(g, "x", 1, 2, 3, 4), g.Constant(TensorData.FromFloats("", [1, 1, 2, 3], 4))], 1)),
        ["DepthToSpace"] = new(17, g => [Op.DepthToSpace(X(g, "x", 1, 8, 2, 3), 2)]),
        ["SpaceToDepth"] = new(17, g => N(g, "SpaceToDepth", [X(g, "x", 1, 2, 4, 6)], 1, Attr.Int("blocksize", 2))),
        ["Resize axes (opset 18)"] = new(18, g => N(g, "Resize", [X(g, "x", 1, 2, 3, 5), null, g.Constant(TensorData.FromFloats("", [2, 0.5f], 2))], 1, Attr.Ints("axes", [2, 3]))),
        ["Resize sizes, linear (opset 13)"] = new(13, g => N(g, "Resize", [X(g, "x", 1, 1, 4, 4), null, null, Ints(g, [1, 1, 3, 9], 4)], 1, Attr.String("mode", "linear"))),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
