using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Layout family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class LayoutShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["Transpose perm"] = new(17, g => [Op.Transpose(X(g, "x", 2, 3, 4), 1, 2, 0)]),
        ["Transpose reverse"] = new(17, g => [Op.Transpose(X(g, "x", 2, 3, 4))]),
        ["Concat"] = new(17, g => [Op.Concat(1, X(g, "a", 2, 3, 4), X(g, "b", 2, 1, 4), X(g, "c", 2, 5, 4))]),
        ["Split sizes input"] = new(17, g => Op.Split(X(g, "x", 2, 9), 1, 2, 3, 4)),
        ["Split attribute (opset 11)"] = new(11, g => Op.Split(X(g, "x", 6, 2), 0, 1, 5)),
        ["Split equal"] = new(17, g => Op.SplitEqual(X(g, "x", 2, 3, 6), -1, 3)),
        ["Split num_outputs uneven (opset 18)"] = new(18, g => Op.SplitEqual(X(g, "x", 7, 2), 0, 3)),
        ["Slice"] = new(17, g => [Op.Slice(X(g, "x", 5, 6, 7), [1, 0], [4, 3], [0, 2])]),
        ["Slice negative step"] = new(17, g => [Op.Slice(X(g, "x", 5, 6), [-1], [-100], [1], [-2])]),
        ["Slice clamped end, step 2"] = new(17, g => [Op.Slice(X(g, "x", 5, 9), [-7, 1], [long.MaxValue, 1000], [1, 0], [2, 3])]),
        ["Slice empty"] = new(17, g => [Op.Slice(X(g, "x", 5, 6), [4], [2], [0])]),
        ["Slice attributes (opset 9)"] = new(9, g => N(g, "Slice", [X(g, "x", 5, 6)], 1, Attr.Ints("starts", [1]), Attr.Ints("ends", [-1]), Attr.Ints("axes", [1]))),
        ["Squeeze axes"] = new(17, g => [Op.Squeeze(X(g, "x", 1, 3, 1, 2), 0, -2)]),
        ["Squeeze all ones"] = new(17, g => [Op.Squeeze(X(g, "x", 1, 3, 1, 2))]),
        ["Squeeze attribute (opset 11)"] = new(11, g => [Op.Squeeze(X(g, "x", 3, 1), 1)]),
        ["Unsqueeze"] = new(17, g => [Op.Unsqueeze(X(g, "x", 3, 4), 0, -1, 2)]),
        ["Expand"] = new(17, g => [Op.Expand(X(g, "x", 3, 1), 2, 1, 5)]),
        ["Tile"] = new(17, g => [Op.Tile(X(g, "x", 2, 3), 3, 2)]),
        ["Pad constant"] = new(17, g => [Op.Pad(X(g, "x", 2, 3), [1, 0, 2, 3])]),
        ["Pad reflect, negative"] = new(17, g => [Op.Pad(X(g, "x", 4, 5), [1, -1, 2, 0], mode: "reflect")]),
        ["Pad attribute (opset 10)"] = new(10, g => N(g, "Pad", [X(g, "x", 2, 3)], 1, Attr.Ints("pads", [0, 1, 1, 0]))),
        ["Split equal, no sizes (opset 13)"] = new(13, g => g.Node("Split", [X(g, "x", 4, 6)], 2, [Attr.Int("axis", 1)])),
        ["Squeeze axes input (opset 13)"] = new(13, g => [Op.Squeeze(X(g, "x", 3, 1, 2, 1), -1, 1)]),
        ["Unsqueeze attribute (opset 11)"] = new(11, g => [Op.Unsqueeze(X(g, "x", 3, 2), 1, -1)]),
        ["Pad with axes (opset 18)"] = new(18, g => N(g, "Pad", [X(g, "x", 2, 3, 4), Ints(g, [1, 2, 0, 3], 4), null, Ints(g, [2, 0], 2)])),
        ["Pad edge"] = new(17, g => [Op.Pad(X(g, "x", 3, 2), [0, 1, 2, 1], mode: "edge")]),
        ["Flatten"] = new(17, g => [Op.Flatten(X(g, "x", 2, 3, 4), 2)]),
        ["Flatten axis -1"] = new(17, g => [Op.Flatten(X(g, "x", 2, 3, 4), -1)]),
        ["Flatten axis 0"] = new(17, g => [Op.Flatten(X(g, "x", 2, 3, 4), 0)]),
        ["Reshape"] = new(17, g => [Op.Reshape(X(g, "x", 2, 3, 4), 0, -1)]),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
