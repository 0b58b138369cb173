using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

/// <summary>The direction in which a recurrent node runs over the sequence.</summary>
public enum RecurrentDirection
{
    /// <summary>From the first step to the last.</summary>
    Forward,
    /// <summary>From the last step to the first.</summary>
    Reverse,
    /// <summary>Both, the forward direction first in every [D, …] axis.</summary>
    Bidirectional,
}

/// <summary>The optional inputs and attributes shared by <see cref="Op.Rnn"/>, <see cref="Op.Gru"/> and <see cref="Op.Lstm"/>.</summary>
public sealed record RecurrentOptions
{
    /// <summary>Biases [D, 2·G·H]: the input biases of every gate, then the recurrent ones.</summary>
    public Value? Bias { get; init; }
    /// <summary>Per-sample sequence lengths [B] (int32); steps past a sample's length give zeros in Y and leave its state.</summary>
    public Value? SequenceLengths { get; init; }
    /// <summary>Initial hidden state [D, B, H] (layout 0) or [B, D, H] (layout 1); zeros when absent.</summary>
    public Value? InitialH { get; init; }
    /// <summary>The direction(s) the node runs in.</summary>
    public RecurrentDirection Direction { get; init; } = RecurrentDirection.Forward;
    /// <summary>True for batch-major tensors ([B, T, …], ONNX layout 1, opset ≥ 14); false for [T, B, …].</summary>
    public bool BatchFirst { get; init; }
}

public static partial class Op
{
    /// <summary>
    /// Elman RNN (ONNX <c>RNN</c>): hₜ = f(xₜ·Wᵀ + hₜ₋₁·Rᵀ + Wb + Rb), W [D, H, I], R [D, H, H]. Returns [Y, Y_h]:
    /// Y [T, D, B, H] ([B, T, D, H] batch-first), Y_h the last state of each direction.
    /// </summary>
    /// <param name="x">The sequence [T, B, I] ([B, T, I] batch-first).</param>
    /// <param name="w">Input weights [D, G·H, I].</param>
    /// <param name="r">Recurrent weights [D, G·H, H]; H is read from its last dimension.</param>
    /// <param name="options">Biases, sequence lengths, initial state, direction, layout.</param>
    /// <param name="activation">f: <c>Tanh</c> (default) or <c>Relu</c>.</param>
    public static Value[] Rnn(Value x, Value w, Value r, RecurrentOptions? options = null, string activation = "Tanh") =>
        Recurrent("RNN", x, w, r, options ?? new(), 2, [Attr.Strings("activations", Repeat(activation, options))]);

    /// <summary>
    /// GRU (ONNX <c>GRU</c>), gates in ONNX order z, r, h: W [D, 3H, I], R [D, 3H, H]. Returns [Y, Y_h].
    /// </summary>
    /// <param name="x">The sequence [T, B, I] ([B, T, I] batch-first).</param>
    /// <param name="w">Input weights [D, G·H, I].</param>
    /// <param name="r">Recurrent weights [D, G·H, H]; H is read from its last dimension.</param>
    /// <param name="options">Biases, sequence lengths, initial state, direction, layout.</param>
    /// <param name="linearBeforeReset">Applies the reset gate after the recurrent product (rₜ ⊙ (hₜ₋₁·Rₕᵀ + Rbₕ)), as
    /// PyTorch and cuDNN do; false gives the original formulation ((rₜ ⊙ hₜ₋₁)·Rₕᵀ).</param>
    public static Value[] Gru(Value x, Value w, Value r, RecurrentOptions? options = null, bool linearBeforeReset = true) =>
        Recurrent("GRU", x, w, r, options ?? new(), 2, [Attr.Int("linear_before_reset", linearBeforeReset ? 1 : 0)]);

    /// <summary>
    /// LSTM (ONNX <c>LSTM</c>), gates in ONNX order i, o, f, c: W [D, 4H, I], R [D, 4H, H]. Returns [Y, Y_h, Y_c].
    /// </summary>
    /// <param name="x">The sequence [T, B, I] ([B, T, I] batch-first).</param>
    /// <param name="w">Input weights [D, G·H, I].</param>
    /// <param name="r">Recurrent weights [D, G·H, H]; H is read from its last dimension.</param>
    /// <param name="options">Biases, sequence lengths, initial state, direction, layout.</param>
    /// <param name="initialC">Initial cell state, shaped as <see cref="RecurrentOptions.InitialH"/>.</param>
    /// <param name="peepholes">Peephole weights P [D, 3H] (i, o, f).</param>
    public static Value[] Lstm(Value x, Value w, Value r, RecurrentOptions? options = null, Value? initialC = null, Value? peepholes = null) =>
        Recurrent("LSTM", x, w, r, options ?? new(), 3, [], initialC, peepholes);

    private static string[] Repeat(string activation, RecurrentOptions? options) =>
        Enumerable.Repeat(activation, options?.Direction == RecurrentDirection.Bidirectional ? 2 : 1).ToArray();

    private static Value[] Recurrent(string op, Value x, Value w, Value r, RecurrentOptions o, int outputs, AttributeProto[] extra, params Value?[] more)
    {
        var g = B(x);
        if (o.BatchFirst) g.RequireOpset("", 14);
        long hidden = r.Shape is { Rank: 3 } s && s[2].IsKnown ? s[2].Value!.Value
            : throw new GraphBuildException($"{op}: the hidden size is the last dimension of R '{r.Name}', which must be known (got {r.Shape?.ToString() ?? "no shape"})");
        var attrs = new List<AttributeProto>(extra)
        {
            Attr.Int("hidden_size", hidden),
            Attr.String("direction", o.Direction.ToString().ToLowerInvariant()),
        };
        if (o.BatchFirst) attrs.Add(Attr.Int("layout", 1));
        Value?[] inputs = [x, w, r, o.Bias, o.SequenceLengths, o.InitialH, .. more];
        int count = inputs.Length;
        while (count > 3 && inputs[count - 1] is null) count--;
        return g.Node(op, inputs[..count], outputs, attrs);
    }
}
