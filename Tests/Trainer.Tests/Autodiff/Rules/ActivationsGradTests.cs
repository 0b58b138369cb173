using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the activation rules (Relu … Gelu, Softmax, LogSoftmax); see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class ActivationsGradTests
{
    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
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
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
