using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>
/// Finite-difference checks of the RNN, GRU and LSTM rules, each case twice: in float64, differences of the unrolled
/// forward the rule writes (ONNX Runtime's CPU provider has no float64 kernel for the recurrent ops; step 1e-6, rtol 1e-5),
/// and in float32, differences of ONNX Runtime's own RNN/GRU/LSTM kernel (step 1e-2, rtol 1e-2), which also checks that the
/// unrolled forward computes the kernel's loss. Every case feeds all outputs (Y, Y_h, Y_c) into the loss.
/// </summary>
[TestClass]
public sealed class RecurrentGradTests
{
    private const int T = 3, B = 2, I = 3, H = 2;

    // Every output, flattened and joined, so the loss weighs each element of each.
    private static Value All(Value[] outputs) => Op.Concat(0, [.. outputs.Select(o => Op.Reshape(o, -1))]);

    private static In Weights(string name, int directions, int gates, int cols) => In.Of(name, directions, gates * H, cols);
    private static In State(string name, int directions, bool batchFirst = false) => batchFirst ? In.Of(name, B, directions, H) : In.Of(name, directions, B, H);
    private static In Lengths => In.Of("lens", B) with { Int64 = true, Data = [2, 3] };
    private static Value Lens(Value v) => Op.Cast(v, ElementType.Int32);

    private static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["RNN_tanh_initial_state"] = new([In.Of("x", T, B, I), Weights("w", 1, 1, I), Weights("r", 1, 1, H), In.Of("b", 1, 2 * H), State("h0", 1)],
            (g, x) => All(Op.Rnn(x[0], x[1], x[2], new() { Bias = x[3], InitialH = x[4] }))),
        ["RNN_relu_reverse_lengths"] = new([In.Of("x", T, B, I), Weights("w", 1, 1, I), Weights("r", 1, 1, H), In.Of("b", 1, 2 * H), Lengths],
            (g, x) => All(Op.Rnn(x[0], x[1], x[2], new() { Bias = x[3], SequenceLengths = Lens(x[4]), Direction = RecurrentDirection.Reverse }, "Relu"))),
        ["GRU_linear_before_reset_bidirectional"] = new([In.Of("x", T, B, I), Weights("w", 2, 3, I), Weights("r", 2, 3, H), In.Of("b", 2, 6 * H), State("h0", 2)],
            (g, x) => All(Op.Gru(x[0], x[1], x[2], new() { Bias = x[3], InitialH = x[4], Direction = RecurrentDirection.Bidirectional }))),
        ["GRU_reset_before_product_lengths"] = new([In.Of("x", T, B, I), Weights("w", 1, 3, I), Weights("r", 1, 3, H), In.Of("b", 1, 6 * H), Lengths],
            (g, x) => All(Op.Gru(x[0], x[1], x[2], new() { Bias = x[3], SequenceLengths = Lens(x[4]) }, linearBeforeReset: false))),
        ["GRU_zero_state_batch_first"] = new([In.Of("x", B, T, I), Weights("w", 1, 3, I), Weights("r", 1, 3, H), In.Of("b", 1, 6 * H)],
            (g, x) => All(Op.Gru(x[0], x[1], x[2], new() { Bias = x[3], BatchFirst = true }))),
        ["LSTM_states_peepholes"] = new([In.Of("x", T, B, I), Weights("w", 1, 4, I), Weights("r", 1, 4, H), In.Of("b", 1, 8 * H), State("h0", 1), State("c0", 1), In.Of("p", 1, 3 * H)],
            (g, x) => All(Op.Lstm(x[0], x[1], x[2], new() { Bias = x[3], InitialH = x[4] }, initialC: x[5], peepholes: x[6]))),
        ["LSTM_bidirectional_batch_first_lengths"] = new([In.Of("x", B, T, I), Weights("w", 2, 4, I), Weights("r", 2, 4, H), In.Of("b", 2, 8 * H), State("h0", 2, batchFirst: true), State("c0", 2, batchFirst: true), Lengths],
            (g, x) => All(Op.Lstm(x[0], x[1], x[2], new() { Bias = x[3], InitialH = x[4], SequenceLengths = Lens(x[6]), Direction = RecurrentDirection.Bidirectional, BatchFirst = true }, initialC: x[5]))),
        ["LSTM_reverse_no_bias"] = new([In.Of("x", T, B, I), Weights("w", 1, 4, I), Weights("r", 1, 4, H)],
            (g, x) => All(Op.Lstm(x[0], x[1], x[2], new() { Direction = RecurrentDirection.Reverse }))),
    };

    [TestMethod]
    [DataRow("RNN_tanh_initial_state")] [DataRow("RNN_relu_reverse_lengths")]
    [DataRow("GRU_linear_before_reset_bidirectional")] [DataRow("GRU_reset_before_product_lengths")] [DataRow("GRU_zero_state_batch_first")]
    [DataRow("LSTM_states_peepholes")] [DataRow("LSTM_bidirectional_batch_first_lengths")] [DataRow("LSTM_reverse_no_bias")]
    public void Float64DifferencesOfTheUnrolledSteps(string op) => GradCheck.Check(op, Cases[op] with { DifferencesOfRewrittenForward = true, Opset = 17 });

    [TestMethod]
    [DataRow("RNN_tanh_initial_state")] [DataRow("RNN_relu_reverse_lengths")]
    [DataRow("GRU_linear_before_reset_bidirectional")] [DataRow("GRU_reset_before_product_lengths")]
    [DataRow("LSTM_states_peepholes")] [DataRow("LSTM_reverse_no_bias")]
    public void Float32DifferencesOfOnnxRuntimesKernel(string op) => GradCheck.Check(op, Cases[op] with { Float32 = true });

    // ONNX Runtime's CPU kernels refuse layout 1, so the batch-first cases above are checked only against their own
    // unrolled forward; this ties that forward to the time-major kernel fed the transposed batch.
    [TestMethod]
    public void BatchFirstUnrolledStepsEqualTheTimeMajorKernel()
    {
        const int D = 2;
        var rnd = new Random(3);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray();
        var init = new (string Name, float[] Data, long[] Dims)[]
        {
            ("w", Rand(D * 4 * H * I), [D, 4 * H, I]), ("r", Rand(D * 4 * H * H), [D, 4 * H, H]), ("b", Rand(D * 8 * H), [D, 8 * H]),
            ("h0", Rand(B * D * H), [B, D, H]), ("c0", Rand(B * D * H), [B, D, H]),
        };
        var x = HostTensor.F32("x", Rand(B * T * I), B, T, I);

        Dictionary<string, HostTensor> Outputs(bool batchFirst)
        {
            var g = new GraphBuilder("lstm");
            var xv = g.Input("x", ElementType.Float32, B, T, I);
            var p = init.Select(i => g.Initializer(TensorData.FromFloats(i.Name, i.Data, i.Dims))).ToArray();
            var lens = g.Constant(TensorData.FromInt32s("", [2, 3], B));
            Value StatesTimeMajor(Value v) => batchFirst ? v : Op.Transpose(v, 1, 0, 2);
            var options = new RecurrentOptions
            {
                Bias = p[2], InitialH = StatesTimeMajor(p[3]), SequenceLengths = lens, Direction = RecurrentDirection.Bidirectional, BatchFirst = batchFirst,
            };
            var outs = Op.Lstm(batchFirst ? xv : Op.Transpose(xv, 1, 0, 2), p[0], p[1], options, initialC: StatesTimeMajor(p[4]));
            if (!batchFirst) outs = [Op.Transpose(outs[0], 2, 0, 1, 3), Op.Transpose(outs[1], 1, 0, 2), Op.Transpose(outs[2], 1, 0, 2)];
            // Batch-first: building a gradient rewrites the node as its steps, which ONNX Runtime can run.
            if (batchFirst) Gradients.Build(g, Op.ReduceSum(All(outs), [0], keepDims: false), ["w"]);
            g.Output(outs[0], "y"); g.Output(outs[1], "y_h"); g.Output(outs[2], "y_c");
            return OrtRun.Run(g.Build(), x);
        }

        var unrolled = Outputs(batchFirst: true);
        var kernel = Outputs(batchFirst: false);
        foreach (var name in new[] { "y", "y_h", "y_c" })
        {
            CollectionAssert.AreEqual(kernel[name].Shape, unrolled[name].Shape, name);
            Compare.Close(kernel[name].Doubles, unrolled[name].Doubles, 1e-5, 1e-5, name);
        }
    }

    [TestMethod]
    public void ASymbolicSequenceLengthIsRefusedNamingTheNode()
    {
        var g = new GraphBuilder("rnn");
        var x = g.Input("x", ElementType.Float32, "steps", B, I);
        var w = g.Initializer(TensorData.FromFloats("w", new float[4 * H * I], 1, 4 * H, I));
        var r = g.Initializer(TensorData.FromFloats("r", new float[4 * H * H], 1, 4 * H, H));
        var y = Op.Lstm(x, w, r)[0];
        var loss = Op.ReduceSum(y, null, keepDims: false);
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g, loss, ["w"]));
        StringAssert.Contains(e.Message, "LSTM node");
        StringAssert.Contains(e.Message, "'steps'");
    }

    [TestMethod]
    public void ClipIsRefused()
    {
        var g = new GraphBuilder("rnn");
        var x = g.Input("x", ElementType.Float32, T, B, I);
        var w = g.Initializer(TensorData.FromFloats("w", new float[H * I], 1, H, I));
        var r = g.Initializer(TensorData.FromFloats("r", new float[H * H], 1, H, H));
        var y = g.Node("RNN", [x, w, r], 1, [Attr.Int("hidden_size", H), Attr.Float("clip", 1f)])[0];
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(g, Op.ReduceSum(y, null, keepDims: false), ["w"]));
        StringAssert.Contains(e.Message, "clip");
    }
}
