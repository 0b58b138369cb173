using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Reductions family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class ReductionsShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["ReduceSum axes input, keepdims 0"] = new(17, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), [0, -1], keepDims: false)]),
        ["ReduceSum axes attribute (opset 11)"] = new(11, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), [1])]),
        ["ReduceSum all axes"] = new(17, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), null, keepDims: false)]),
        ["ReduceSum noop_with_empty_axes"] = new(17, g => N(g, "ReduceSum", [X(g, "x", 2, 3)], 1, Attr.Int("noop_with_empty_axes", 1))),
        ["ReduceMean attribute axes"] = new(17, g => [Op.ReduceMean(X(g, "x", 2, 3, 4), [1, 2])]),
        ["ReduceMax axes input (opset 18)"] = new(18, g => [Op.ReduceMax(X(g, "x", 2, 3, 4), [1], keepDims: false)]),
        ["ReduceMin all keepdims"] = new(17, g => [Op.ReduceMin(X(g, "x", 2, 3, 4))]),
        ["ReduceProd"] = new(17, g => [Op.ReduceProd(X(g, "x", 2, 3), [0], keepDims: false)]),
        ["ReduceSumSquare"] = new(18, g => [Op.ReduceSumSquare(X(g, "x", 2, 3, 4), [-2])]),
        ["ReduceL1"] = new(17, g => N(g, "ReduceL1", [X(g, "x", 2, 3, 4)], 1, Attr.Ints("axes", [2]), Attr.Int("keepdims", 0))),
        ["ReduceL2"] = new(17, g => [Op.ReduceL2(X(g, "x", 2, 3, 4), [0, 1])]),
        ["ReduceLogSum"] = new(18, g => N(g, "ReduceLogSum", [Op.Abs(X(g, "x", 2, 3, 4)), Ints(g, [1], 1)], 1)),
        ["ReduceLogSumExp"] = new(17, g => [Op.ReduceLogSumExp(X(g, "x", 2, 3, 4), [1], keepDims: false)]),
        ["ArgMax keepdims 0"] = new(17, g => [Op.ArgMax(X(g, "x", 2, 3, 4), axis: 1, keepDims: false)]),
        ["ArgMin select_last_index"] = new(17, g => N(g, "ArgMin", [X(g, "x", 2, 3, 4)], 1, Attr.Int("axis", -1), Attr.Int("select_last_index", 1))),
        ["TopK"] = new(17, g => Op.TopK(X(g, "x", 2, 7, 3), 4, axis: 1)),
        ["CumSum"] = new(17, g => [Op.CumSum(X(g, "x", 2, 3), axis: 1, exclusive: true)]),
        ["ReduceSum axes input (opset 13)"] = new(13, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), [-1, 0])]),
        ["ReduceMean noop with no axes (opset 18)"] = new(18, g => N(g, "ReduceMean", [X(g, "x", 2, 3)], 1, Attr.Int("noop_with_empty_axes", 1), Attr.Int("keepdims", 0))),
        ["TopK attribute k (opset 9)"] = new(9, g => N(g, "TopK", [X(g, "x", 3, 6)], 2, Attr.Int("k", 2))),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
