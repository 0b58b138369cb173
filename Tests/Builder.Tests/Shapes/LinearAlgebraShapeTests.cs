using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the LinearAlgebra family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class LinearAlgebraShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["Einsum batched matmul"] = new(17, g => [Op.Einsum("bij,bjk->bik", X(g, "a", 2, 3, 4), X(g, "b", 2, 4, 5))]),
        ["Einsum ellipsis"] = new(17, g => [Op.Einsum("...ij,...jk->...ik", X(g, "a", 2, 1, 3, 4), X(g, "b", 1, 6, 4, 5))]),
        ["Einsum implicit output"] = new(17, g => [Op.Einsum("kj,ji", X(g, "a", 3, 4), X(g, "b", 4, 2))]),
        ["Einsum reduce"] = new(17, g => [Op.Einsum("ijk->j", X(g, "a", 2, 3, 4))]),
        ["Einsum ellipsis in the middle"] = new(17, g => [Op.Einsum("i...j->ji...", X(g, "a", 2, 3, 4, 5))]),
        ["Einsum diagonal"] = new(17, g => [Op.Einsum("ii->i", X(g, "a", 4, 4))]),
        ["Einsum outer product, implicit"] = new(17, g => [Op.Einsum("i,j", X(g, "a", 3), X(g, "b", 5))]),
        ["Einsum broadcast of size-1 ellipsis"] = new(17, g => [Op.Einsum("...i,...i->...", X(g, "a", 4, 1, 3), X(g, "b", 1, 5, 3))]),
        ["MatMul 1-D"] = new(17, g => [Op.MatMul(X(g, "a", 2, 3, 4), X(g, "b", 4))]),
        ["Gemm transB with bias row"] = new(17, g => [Op.Gemm(X(g, "a", 3, 4), W(g, 5, 4), W(g, 1, 5), transB: true)]),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
