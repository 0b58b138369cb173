using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks (float64; float32 where ORT's CPU provider has no float64 kernel: Erf, Mean, Elu, Selu, Softplus, Softsign, HardSigmoid) of the arithmetic and activation rules, with broadcasting and symbolic/unknown dims.</summary>
[TestClass]
public sealed class ElementwiseGradTests
{
    private static readonly Func<double, double> Positive = v => Math.Abs(v) + 0.5;
    private static readonly Dim U = Dim.Unknown;

    private static readonly Dictionary<string, GradCase> Cases = new()
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
        ["Sigmoid"] = new([In.Of("a", 2, 3)], (g, x) => Op.Sigmoid(x[0])),
        ["Tanh"] = new([In.Of("a", 2, 3)], (g, x) => Op.Tanh(x[0])),
        ["Relu"] = new([In.Of("a", 3, 4)], (g, x) => Op.Relu(x[0])),
        ["LeakyRelu"] = new([In.Of("a", 3, 4)], (g, x) => Op.LeakyRelu(x[0], 0.1f)),
        ["Elu"] = new([In.Of("a", 3, 4)], (g, x) => Op.Elu(x[0], 0.7f)) { Float32 = true },
        ["Selu"] = new([In.Of("a", 3, 4)], (g, x) => Op.Selu(x[0])) { Float32 = true },
        ["Softplus"] = new([In.Of("a", 3, 4)], (g, x) => Op.Softplus(x[0])) { Float32 = true },
        ["Softsign"] = new([In.Of("a", 3, 4)], (g, x) => Op.Softsign(x[0])) { Float32 = true },
        ["HardSigmoid"] = new([In.Of("a", 3, 4) with { Map = v => v * 2 }], (g, x) => Op.HardSigmoid(x[0])) { Float32 = true },
        ["PRelu"] = new([In.Of("a", "N", 3, 4), In.Of("slope", 3, 1)], (g, x) => Op.PRelu(x[0], x[1])),
        ["Softmax"] = new([In.Of("a", "N", 3, 4)], (g, x) => Op.Softmax(x[0], 1)),
        ["LogSoftmax"] = new([In.Of("a", 2, 5)], (g, x) => Op.LogSoftmax(x[0])),
        ["Gelu_decomposed"] = new([In.Of("a", 2, 5)], (g, x) => Op.Gelu(x[0])) { Float32 = true },
        ["Gelu_opset20"] = new([In.Of("a", 2, 5)], (g, x) => Op.Gelu(x[0])) { Opset = 20, Float32 = true },
        ["HardSwish"] = new([In.Of("a", 3, 4) with { Map = v => v * 5 }], (g, x) => g.Node1("HardSwish", [x[0]])) { Float32 = true, Opset = 17 },
        ["Celu"] = new([In.Of("a", 3, 4)], (g, x) => g.Node1("Celu", [x[0]], IR.Attr.Float("alpha", 0.8f))) { Float32 = true },
        ["ThresholdedRelu"] = new([In.Of("a", 3, 4)], (g, x) => g.Node1("ThresholdedRelu", [x[0]], IR.Attr.Float("alpha", 0.5f))) { Float32 = true },
        ["CumSum"] = new([In.Of("a", 3, 4)], (g, x) => Op.CumSum(x[0], 1)),
        ["CumSum_reverse_exclusive"] = new([In.Of("a", 3, 4)], (g, x) => Op.CumSum(x[0], 0, exclusive: true, reverse: true)),
        ["TopK"] = new([In.Of("a", 3, 5)], (g, x) => Op.TopK(x[0], 2, 1)[0]),
        ["Cast"] = new([In.Of("a", 2, 3)], (g, x) => { var d = Op.Cast(x[0], ElementType.Float64); return Op.Cast(d * d, ElementType.Float32); }) { Float32 = true },
    };

    [TestMethod]
    [DataRow("Add")] [DataRow("Add_unknown_dims")] [DataRow("Add_unknown_rank")] [DataRow("Sub")] [DataRow("Mul")] [DataRow("Mul_same_input")]
    [DataRow("Div")] [DataRow("Neg")] [DataRow("Pow")] [DataRow("Pow_constant_exponent")] [DataRow("Sqrt")] [DataRow("Exp")] [DataRow("Log")]
    [DataRow("Abs")] [DataRow("Reciprocal")] [DataRow("Erf")] [DataRow("Sin")] [DataRow("Cos")] [DataRow("Sum")] [DataRow("Mean")] [DataRow("Max")]
    [DataRow("Min")] [DataRow("Where")] [DataRow("Identity")] [DataRow("Clip")] [DataRow("Clip_min_only")] [DataRow("Cast")]
    public void Arithmetic(string op) => GradCheck.Check(op, Cases[op]);

    [TestMethod]
    [DataRow("Sigmoid")] [DataRow("Tanh")] [DataRow("Relu")] [DataRow("LeakyRelu")] [DataRow("Elu")] [DataRow("Selu")] [DataRow("Softplus")]
    [DataRow("Softsign")] [DataRow("HardSigmoid")] [DataRow("PRelu")] [DataRow("Softmax")] [DataRow("LogSoftmax")] [DataRow("Gelu_decomposed")]
    [DataRow("Gelu_opset20")] [DataRow("HardSwish")] [DataRow("Celu")] [DataRow("ThresholdedRelu")] [DataRow("CumSum")]
    [DataRow("CumSum_reverse_exclusive")] [DataRow("TopK")]
    public void Activations(string op) => GradCheck.Check(op, Cases[op]);
}
