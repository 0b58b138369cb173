using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks (float64 unless marked) of linear algebra, reductions and shape operators.</summary>
[TestClass]
public sealed class StructuralGradTests
{
    private static readonly Dim U = Dim.Unknown;
    private static Value I64(GraphBuilder g, params long[] v) => g.Int64s(v);

    private static readonly Dictionary<string, GradCase> Cases = new()
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

        ["ReduceSum_keepdims"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.ReduceSum(x[0], [1], keepDims: true)),
        ["ReduceSum_dropdims"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.ReduceSum(x[0], [-1, 0], keepDims: false)),
        ["ReduceSum_all"] = new([In.Of("a", 2, 3)], (g, x) => Op.Unsqueeze(Op.ReduceSum(x[0], keepDims: false), 0)),
        ["ReduceMean"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.ReduceMean(x[0], [2], keepDims: false)),
        ["ReduceMean_unknown"] = new([In.Of("a", U, 3, U).Feed(2, 3, 4)], (g, x) => Op.ReduceMean(x[0], [0, 2], keepDims: true)),
        ["ReduceMax"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceMax(x[0], [1], keepDims: false)),
        ["ReduceMin"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceMin(x[0], [0], keepDims: true)),
        ["ReduceSumSquare"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceSumSquare(x[0], [1], keepDims: false)),
        ["ReduceL2"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceL2(x[0], [1], keepDims: true)),
        ["ReduceLogSumExp"] = new([In.Of("a", 3, 4)], (g, x) => Op.ReduceLogSumExp(x[0], [1], keepDims: false)),

        ["Reshape"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.Reshape(x[0], 0, 2, 6) * Op.Reshape(x[0], 0, 2, 6)),
        ["Flatten"] = new([In.Of("a", "N", 3, 2)], (g, x) => Op.Flatten(x[0]) * 3.0),
        ["Squeeze"] = new([In.Of("a", 3, 1, 4)], (g, x) => Op.Squeeze(x[0], 1)),
        ["Unsqueeze"] = new([In.Of("a", 3, 4)], (g, x) => Op.Unsqueeze(x[0], 0, 2)),
        ["Transpose"] = new([In.Of("a", 2, 3, 4)], (g, x) => Op.Transpose(x[0], 2, 0, 1)),
        ["Transpose_reverse"] = new([In.Of("a", 2, 3, 4)], (g, x) => Op.Transpose(x[0])),
        ["Concat"] = new([In.Of("a", "N", 2), In.Of("b", "N", 3)], (g, x) => Op.Concat(1, x[0], x[1])),
        ["Concat_unknown"] = new([In.Of("a", U, U).Feed(2, 2), In.Of("b", U, U).Feed(2, 3)], (g, x) => Op.Concat(-1, x[0], x[1])),
        ["Split"] = new([In.Of("a", 2, 5)], (g, x) => { var p = Op.Split(x[0], 1, 2, 3); return Op.Concat(1, p[1], Op.Mul(p[0], g.Scalar(2, x[0].ElementType))); }),
        ["Split_unused_part"] = new([In.Of("a", 2, 5)], (g, x) => Op.Split(x[0], 1, 2, 3)[1]),
        ["Slice"] = new([In.Of("a", 4, 5)], (g, x) => Op.Slice(x[0], [1, 1], [3, -1])),
        ["Slice_steps"] = new([In.Of("a", 4, 5)], (g, x) => Op.Slice(x[0], [3, 0], [0, 5], [0, 1], [-1, 2])),
        ["Slice_symbolic"] = new([In.Of("a", "N", 5)], (g, x) => Op.Slice(x[0], [1], [4], [1])),
        ["Gather_axis0_repeated"] = new([In.Of("a", 4, 3), In.Of("i", 5) with { Int64 = true, Data = [0, 2, 2, 3, 0] }], (g, x) => Op.Gather(x[0], x[1], 0)),
        ["Gather_axis1_negative"] = new([In.Of("a", 2, 4, 3), In.Of("i", 2, 2) with { Int64 = true, Data = [-1, 0, 1, -1] }], (g, x) => Op.Gather(x[0], x[1], 1)),
        ["Gather_constant_indices"] = new([In.Of("a", 4, 3)], (g, x) => Op.Gather(x[0], I64(g, 3, 1, 3), 0)),
        ["GatherElements"] = new([In.Of("a", 3, 4), In.Of("i", 3, 2) with { Int64 = true, Data = [0, 3, 1, 1, 2, 0] }], (g, x) => Op.GatherElements(x[0], x[1], 1)),
        ["Expand"] = new([In.Of("a", 3, 1)], (g, x) => Op.Expand(x[0], 2, 3, 4)),
        ["Tile"] = new([In.Of("a", 2, 3)], (g, x) => Op.Tile(x[0], 2, 3)),
        ["Tile_symbolic"] = new([In.Of("a", "N", 3)], (g, x) => Op.Tile(x[0], 3, 1)),
        ["Pad"] = new([In.Of("a", 2, 3)], (g, x) => Op.Pad(x[0], [1, 0, 2, 1], 0.5)),
        ["Pad_negative"] = new([In.Of("a", 3, 4)], (g, x) => Op.Pad(x[0], [-1, 1, 0, -2])),
    };

    [TestMethod]
    [DataRow("MatMul_2d")] [DataRow("MatMul_batched_broadcast")] [DataRow("MatMul_batched_both")] [DataRow("MatMul_1d_left")]
    [DataRow("MatMul_1d_right")] [DataRow("MatMul_1d_both")] [DataRow("Gemm")] [DataRow("Gemm_plain")] [DataRow("Gemm_transA")]
    [DataRow("Einsum_batched_matmul")] [DataRow("Einsum_attention_scores")] [DataRow("Einsum_implicit")]
    public void LinearAlgebra(string op) => GradCheck.Check(op, Cases[op]);

    [TestMethod]
    [DataRow("ReduceSum_keepdims")] [DataRow("ReduceSum_dropdims")] [DataRow("ReduceSum_all")] [DataRow("ReduceMean")] [DataRow("ReduceMean_unknown")]
    [DataRow("ReduceMax")] [DataRow("ReduceMin")] [DataRow("ReduceSumSquare")] [DataRow("ReduceL2")] [DataRow("ReduceLogSumExp")]
    public void Reductions(string op) => GradCheck.Check(op, Cases[op]);

    [TestMethod]
    [DataRow("Reshape")] [DataRow("Flatten")] [DataRow("Squeeze")] [DataRow("Unsqueeze")] [DataRow("Transpose")] [DataRow("Transpose_reverse")]
    [DataRow("Concat")] [DataRow("Concat_unknown")] [DataRow("Split")] [DataRow("Split_unused_part")] [DataRow("Slice")] [DataRow("Slice_steps")]
    [DataRow("Slice_symbolic")] [DataRow("Gather_axis0_repeated")] [DataRow("Gather_axis1_negative")] [DataRow("Gather_constant_indices")]
    [DataRow("GatherElements")] [DataRow("Expand")] [DataRow("Tile")] [DataRow("Tile_symbolic")] [DataRow("Pad")] [DataRow("Pad_negative")]
    public void Shapes(string op) => GradCheck.Check(op, Cases[op]);
}
