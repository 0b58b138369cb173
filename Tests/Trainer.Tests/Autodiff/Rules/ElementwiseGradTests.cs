using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the elementwise rules (arithmetic, maths, variadic Sum/Mean/Max/Min, Where, Clip, Cast, Identity), with broadcasting and symbolic/unknown dims; see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class ElementwiseGradTests
{
    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["Add"] = new([In.Of("a", "N", 3, 4), In.Of("b", 4)], (g, x) => x[0] + x[1]),
        ["Add_unknown_dims"] = new([In.Of("a", U, U).Feed(3, 4), In.Of("b", 1, U).Feed(1, 4)], (g, x) => x[0] + x[1]),
        ["Add_unknown_rank"] = new([In.Of("a", "N", 3), In.Of("b", 3)], (g, x) => Op.Reshape(x[0], Op.Shape(x[0])) + x[1]),
        ["Sub"] = new([In.Of("a", 2, 3), In.Of("b", 2, 1)], (g, x) => x[0] - x[1]),
        ["Mul"] = new([In.Of("a", "N", 3), In.Of("b", 1, 3)], (g, x) => x[0] * x[1]),
        ["Mul_same_input"] = new([In.Of("a", 2, 3)], (g, x) => x[0] * x[0]),
        ["Div"] = new([In.Of("a", 2, 3), In.Of("b", 3) with { Map = Positive }], (g, x) => x[0] / x[1]),
        ["Neg"] = new([In.Of("a", 2, 3)], (g, x) => -x[0]),
        ["Pow"] = new([In.Of("a", 2, 3) with { Map = Positive }, In.Of("b", 3)], (g, x) => Op.Pow(x[0], x[1])),
        ["Pow_constant_exponent"] = new([In.Of("a", 2, 3)], (g, x) => Op.Pow(x[0], g.Scalar(3, x[0].ElementType))),
        ["Sqrt"] = new([In.Of("a", 2, 3) with { Map = Positive }], (g, x) => Op.Sqrt(x[0])),
        ["Exp"] = new([In.Of("a", 2, 3)], (g, x) => Op.Exp(x[0])),
        ["Log"] = new([In.Of("a", 2, 3) with { Map = Positive }], (g, x) => Op.Log(x[0])),
        ["Abs"] = new([In.Of("a", 2, 3)], (g, x) => Op.Abs(x[0])),
        ["Reciprocal"] = new([In.Of("a", 2, 3) with { Map = Positive }], (g, x) => Op.Reciprocal(x[0])),
        ["Erf"] = new([In.Of("a", 2, 3)], (g, x) => Op.Erf(x[0])) { Float32 = true },
        ["Sin"] = new([In.Of("a", 2, 3)], (g, x) => Op.Sin(x[0])),
        ["Cos"] = new([In.Of("a", 2, 3)], (g, x) => Op.Cos(x[0])),
        ["Sum"] = new([In.Of("a", "N", 3), In.Of("b", 3), In.Of("c", "N", 1)], (g, x) => Op.Sum(x[0], x[1], x[2])),
        ["Mean"] = new([In.Of("a", 2, 3), In.Of("b", 3)], (g, x) => Op.Mean(x[0], x[1])) { Float32 = true },
        ["Max"] = new([In.Of("a", 2, 3), In.Of("b", 3)], (g, x) => Op.Max(x[0], x[1])),
        ["Min"] = new([In.Of("a", 2, 3), In.Of("b", 2, 1), In.Of("c", 3)], (g, x) => Op.Min(x[0], x[1], x[2])),
        ["Where"] = new([In.Of("a", 2, 3), In.Of("b", 3)], (g, x) => Op.Where(Op.Greater(x[0], g.Scalar(0, x[0].ElementType)), x[0] * 2.0, x[1])),
        ["Identity"] = new([In.Of("a", 2, 3)], (g, x) => Op.Identity(x[0]) * x[0]),
        ["Clip"] = new([In.Of("a", 3, 4)], (g, x) => Op.Clip(x[0], -0.55, 0.45)),
        ["Clip_min_only"] = new([In.Of("a", 3, 4)], (g, x) => Op.Clip(x[0], -0.55, null)),
        ["Clip_bound_inputs"] = new([In.Of("a", 3, 4), In.Of("lo") with { Data = [-0.45] }, In.Of("hi") with { Data = [0.35] }], (g, x) => Op.Clip(x[0], x[1], x[2])),
        ["Clip_min_input_only"] = new([In.Of("a", 3, 4), In.Of("lo") with { Data = [-0.45] }], (g, x) => Op.Clip(x[0], x[1], null)),
        ["Clip_max_input_only"] = new([In.Of("a", 3, 4), In.Of("hi") with { Data = [0.35] }], (g, x) => Op.Clip(x[0], null, x[1])),
        ["Clip_min_above_max"] = new([In.Of("a", 3, 4), In.Of("lo") with { Data = [0.5] }, In.Of("hi") with { Data = [-0.2] }], (g, x) => Op.Clip(x[0], x[1], x[2])),
        ["Cast"] = new([In.Of("a", 2, 3)], (g, x) => { var d = Op.Cast(x[0], ElementType.Float64); return Op.Cast(d * d, ElementType.Float32); }) { Float32 = true },
        ["CastLike"] = new([In.Of("a", 2, 3)], (g, x) => { var d = Op.CastLike(x[0], g.Scalar(0, ElementType.Float64)); return Op.Cast(d * d, ElementType.Float32); }) { Float32 = true },
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
