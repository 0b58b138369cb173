using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Indexing family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class IndexingShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["Gather 2-D indices"] = new(17, g => [Op.Gather(X(g, "x", 3, 5, 2), Ints(g, [0, 4, -1, 2, 3, 1], 2, 3), axis: 1)]),
        ["Gather scalar index"] = new(17, g => [Op.Gather(X(g, "x", 3, 5), g.Constant(TensorData.Scalar("", ElementType.Int64, 2)))]),
        ["GatherElements"] = new(17, g => [Op.GatherElements(X(g, "x", 3, 4), Ints(g, [0, 1, 2, 0, 1, 2], 3, 2), axis: 1)]),
        ["GatherND batch_dims 1"] = new(17, g => N(g, "GatherND", [X(g, "x", 2, 3, 4), Ints(g, [1, 2, 0, 1], 2, 1, 2)], 1, Attr.Int("batch_dims", 1))),
        ["GatherND"] = new(17, g => N(g, "GatherND", [X(g, "x", 2, 3, 4), Ints(g, [1, 0, 1], 3, 1)], 1)),
        ["ScatterElements"] = new(17, g => [Op.ScatterElements(X(g, "x", 3, 4), Ints(g, [0, 1, 2], 1, 3), W(g, 1, 3), axis: 1)]),
        ["ScatterND"] = new(17, g => N(g, "ScatterND", [X(g, "x", 4, 3), Ints(g, [1, 3], 2, 1), W(g, 2, 3)], 1)),
        ["OneHot"] = new(17, g => [Op.OneHot(Ints(g, [0, 2, 1, 3], 2, 2), 5, g.Constant(TensorData.FromFloats("", [0, 1], 2)), axis: 1)]),
        ["NonZero"] = new(17, g => N(g, "NonZero", [X(g, "x", 3, 4)]), DataDependent: true),
        ["Gather negative axis"] = new(17, g => [Op.Gather(X(g, "x", 3, 5, 2), Ints(g, [1, 0, 1], 3), axis: -1)]),
        ["GatherElements axis 0"] = new(17, g => [Op.GatherElements(X(g, "x", 3, 4), Ints(g, [2, 0, 1, 1, 0, 0, 2, 2], 2, 4))]),
        ["ScatterElements add"] = new(17, g => [Op.ScatterElements(X(g, "x", 3, 4), Ints(g, [0, 2, 1, 0], 2, 2), W(g, 2, 2), axis: 0, reduction: "add")]),
        ["Compress with axis"] = new(17, g => N(g, "Compress", [X(g, "x", 3, 4), g.Constant(TensorData.FromBools("", [true, false, true], 3))], 1, Attr.Int("axis", 0)), DataDependent: true),
        ["Compress flattened"] = new(17, g => N(g, "Compress", [X(g, "x", 3, 4), g.Constant(TensorData.FromBools("", [true, false, true], 3))]), DataDependent: true),
        ["OneHot axis 0"] = new(17, g => [Op.OneHot(Ints(g, [0, 2, 1], 3), 4, g.Constant(TensorData.FromFloats("", [0, 1], 2)), axis: 0)]),
        ["Scatter (opset 10)"] = new(10, g => N(g, "Scatter", [X(g, "x", 3, 4), Ints(g, [0, 1, 2], 1, 3), W(g, 1, 3)], 1, Attr.Int("axis", 1))),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
