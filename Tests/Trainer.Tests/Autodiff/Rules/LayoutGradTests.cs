using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the layout rules (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split, Slice, Expand, Tile, Pad); see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class LayoutGradTests
{
    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
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
        ["Expand"] = new([In.Of("a", 3, 1)], (g, x) => Op.Expand(x[0], 2, 3, 4)),
        ["Tile"] = new([In.Of("a", 2, 3)], (g, x) => Op.Tile(x[0], 2, 3)),
        ["Tile_symbolic"] = new([In.Of("a", "N", 3)], (g, x) => Op.Tile(x[0], 3, 1)),
        ["Pad"] = new([In.Of("a", 2, 3)], (g, x) => Op.Pad(x[0], [1, 0, 2, 1], 0.5)),
        ["Pad_negative"] = new([In.Of("a", 3, 4)], (g, x) => Op.Pad(x[0], [-1, 1, 0, -2])),
        ["Pad_value_input"] = new([In.Of("a", 2, 3), In.Of("v")], (g, x) => g.Node1("Pad", [x[0], g.Int64s(1, 0, 2, 1), x[1]])),
        ["Pad_value_input_cropping"] = new([In.Of("a", 3, 4), In.Of("v")], (g, x) => g.Node1("Pad", [x[0], g.Int64s(-1, 1, 0, -2), x[1]])),
        ["Tile_repeats_input"] = new([In.Of("a", 2, 3), In.Of("r", 2) with { Int64 = true, Data = [2, 3] }], (g, x) => g.Node1("Tile", [x[0], x[1]])),
        ["Tile_repeats_input_symbolic"] = new([In.Of("a", "N", 3), In.Of("r", 2) with { Int64 = true, Data = [3, 1] }], (g, x) => g.Node1("Tile", [x[0], x[1]])),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
