using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Activations family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class ActivationsShapeTests
{
    private static readonly (string Op, int Opset)[] Unary =
    [
        ("Relu", 17), ("Sigmoid", 17), ("Tanh", 17), ("LeakyRelu", 17), ("Elu", 17), ("Selu", 17), ("Celu", 17), ("Softplus", 17),
        ("Softsign", 17), ("HardSigmoid", 17), ("HardSwish", 17), ("Mish", 18), ("Gelu", 20), ("ThresholdedRelu", 17), ("Shrink", 17), ("Swish", 24),
    ];

    internal static readonly Dictionary<string, ShapeCase> Cases = new Dictionary<string, ShapeCase>
    {
        ["PRelu per-channel slope"] = new(17, g => [Op.PRelu(X(g, "x", 2, 3, 4), W(g, 3, 1))]),
        ["Softmax axis 1"] = new(17, g => [Op.Softmax(X(g, "x", 2, 3, 4), axis: 1)]),
        ["LogSoftmax"] = new(13, g => [Op.LogSoftmax(X(g, "x", 2, 3))]),
        ["Hardmax (opset 11 default axis 1)"] = new(11, g => N(g, "Hardmax", [X(g, "x", 2, 3, 4)])),
    }.Concat(Unary.Select(u => new KeyValuePair<string, ShapeCase>(u.Op, new(u.Opset, g => N(g, u.Op, [X(g, "x", 2, 3, 4)])))))
     .ToDictionary();

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
