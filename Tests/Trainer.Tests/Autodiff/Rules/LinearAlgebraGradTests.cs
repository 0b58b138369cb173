using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the MatMul, Gemm and Einsum rules; see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class LinearAlgebraGradTests
{
    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["MatMul_2d"] = new([In.Of("a", "N", 3), In.Of("b", 3, 4)], (g, x) => Op.MatMul(x[0], x[1])),
        ["MatMul_batched_broadcast"] = new([In.Of("a", "N", 2, 3, 4), In.Of("b", 4, 5)], (g, x) => Op.MatMul(x[0], x[1])),
        ["MatMul_batched_both"] = new([In.Of("a", 2, 1, 3, 4), In.Of("b", 3, 4, 2)], (g, x) => Op.MatMul(x[0], x[1])),
        ["MatMul_1d_left"] = new([In.Of("a", 4), In.Of("b", 2, 4, 3)], (g, x) => Op.MatMul(x[0], x[1])),
        ["MatMul_1d_right"] = new([In.Of("a", 2, 3, 4), In.Of("b", 4)], (g, x) => Op.MatMul(x[0], x[1])),
        ["MatMul_1d_both"] = new([In.Of("a", 4), In.Of("b", 4)], (g, x) => Op.Unsqueeze(Op.MatMul(x[0], x[1]), 0)),
        ["Gemm"] = new([In.Of("a", 3, 2), In.Of("b", 4, 3), In.Of("c", 4)], (g, x) => Op.Gemm(x[0], x[1], x[2], alpha: 0.7f, beta: 1.3f, transA: true, transB: true)),
        ["Gemm_plain"] = new([In.Of("a", "N", 3), In.Of("b", 3, 4), In.Of("c", "N", 1)], (g, x) => Op.Gemm(x[0], x[1], x[2])),
        ["Gemm_transA"] = new([In.Of("a", 3, 2), In.Of("b", 3, 4)], (g, x) => Op.Gemm(x[0], x[1], transA: true)),
        ["Einsum_batched_matmul"] = new([In.Of("a", 2, 3, 4), In.Of("b", 2, 4, 5)], (g, x) => Op.Einsum("bij,bjk->bik", x[0], x[1])) { Float32 = true },
        ["Einsum_attention_scores"] = new([In.Of("q", 2, 2, 3, 4), In.Of("k", 2, 2, 5, 4)], (g, x) => Op.Einsum("bhqd,bhkd->bhqk", x[0], x[1])) { Float32 = true },
        ["Einsum_implicit"] = new([In.Of("a", 3, 4), In.Of("b", 4, 2)], (g, x) => Op.Einsum("ij,jk", x[0], x[1])) { Float32 = true },
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
