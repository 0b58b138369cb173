using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>
/// The RNN, GRU and LSTM shape rules: the shapes inferred for every output equal what ONNX Runtime produces on random
/// data, and inputs that cannot fit are refused naming the input and the expected shape.
/// </summary>
[TestClass]
public sealed class RecurrentRulesTests
{
    private const int T = 5, B = 2, I = 3, H = 4;

    private static Value W(GraphBuilder g, params long[] shape)
    {
        var r = new Random(shape.Sum(d => (int)d));
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return g.Constant(TensorData.FromFloats("", Enumerable.Range(0, (int)n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray(), shape));
    }

    [TestMethod]
    [DataRow("RNN", 1, "forward")] [DataRow("GRU", 3, "bidirectional")] [DataRow("LSTM", 4, "reverse")] [DataRow("LSTM", 4, "bidirectional")]
    public void InferredShapesEqualOnnxRuntimes(string op, int gates, string direction)
    {
        int d = direction == "bidirectional" ? 2 : 1;
        var g = new GraphBuilder("rnn");
        var x = g.Input("x", ElementType.Float32, T, B, I);
        var lens = g.Constant(TensorData.FromInt32s("", [5, 3], B));
        Value?[] inputs = [x, W(g, d, gates * H, I), W(g, d, gates * H, H), W(g, d, 2 * gates * H), lens, W(g, d, B, H)];
        if (op == "LSTM") inputs = [.. inputs, W(g, d, B, H), W(g, d, 3 * H)];
        int outputs = op == "LSTM" ? 3 : 2;
        var outs = g.Node(op, inputs, outputs, [Attr.Int("hidden_size", H), Attr.String("direction", direction)]);
        for (int k = 0; k < outputs; k++) g.Output(outs[k], "out" + k);
        var ran = OrtRun.Run(g.Build(), HostTensor.F32("x", new float[T * B * I], T, B, I));
        for (int k = 0; k < outputs; k++)
        {
            Assert.IsTrue(outs[k].Shape!.IsFullyKnown, $"output {k}: {outs[k].Shape}");
            CollectionAssert.AreEqual(ran["out" + k].Shape, outs[k].Shape!.Select(s => s.Value!.Value).ToArray(), $"{op} output {k}");
        }
    }

    [TestMethod]
    public void HiddenSizeIsLearntFromRWhenTheAttributeIsAbsent()
    {
        var g = new GraphBuilder("rnn");
        var x = g.Input("x", ElementType.Float32, "seq", "batch", I);
        var y = g.Node("GRU", [x, W(g, 1, 3 * H, I), W(g, 1, 3 * H, H)], 2);
        Assert.AreEqual("[seq, 1, batch, 4]", y[0].Shape!.ToString());
        Assert.AreEqual("[1, batch, 4]", y[1].Shape!.ToString());
    }

    [TestMethod]
    public void ARecurrentWeightWithTheWrongGateCountIsRefusedNamingIt()
    {
        var g = new GraphBuilder("rnn");
        var x = g.Input("x", ElementType.Float32, T, B, I);
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Op.Lstm(x, W(g, 1, 4 * H, I), W(g, 1, 3 * H, H)));
        StringAssert.Contains(e.Message, "LSTM");
        StringAssert.Contains(e.Message, "R '");
        StringAssert.Contains(e.Message, "expected");
    }

    [TestMethod]
    public void AnUnknownDirectionIsRefused()
    {
        var g = new GraphBuilder("rnn");
        var x = g.Input("x", ElementType.Float32, T, B, I);
        var e = Assert.ThrowsExactly<GraphBuildException>(() => g.Node("RNN", [x, W(g, 1, H, I), W(g, 1, H, H)], 2, [Attr.Int("hidden_size", H), Attr.String("direction", "sideways")]));
        StringAssert.Contains(e.Message, "sideways");
    }
}
