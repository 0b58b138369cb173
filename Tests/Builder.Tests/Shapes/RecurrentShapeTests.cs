using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Recurrent family (RNN, GRU, LSTM) against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class RecurrentShapeTests
{
    // X [T=3, B=2, I=4], hidden size H=5.
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["RNN forward, Y and Y_h"] = new(17, g => N(g, "RNN", [X(g, "x", 3, 2, 4), W(g, 1, 5, 4), W(g, 1, 5, 5)], 2, Attr.Int("hidden_size", 5))),
        ["GRU bidirectional with bias, linear_before_reset"] = new(17, g => N(g, "GRU", [X(g, "x", 3, 2, 4), W(g, 2, 15, 4), W(g, 2, 15, 5), W(g, 2, 30)], 2,
            Attr.Int("hidden_size", 5), Attr.String("direction", "bidirectional"), Attr.Int("linear_before_reset", 1))),
        ["LSTM forward with bias, Y, Y_h and Y_c"] = new(17, g => N(g, "LSTM", [X(g, "x", 3, 2, 4), W(g, 1, 20, 4), W(g, 1, 20, 5), W(g, 1, 40)], 3,
            Attr.Int("hidden_size", 5))),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
