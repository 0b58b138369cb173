using OnnxKit.Init;

namespace OnnxKit;

/// <summary>
/// The recurrent layers (PyTorch's <c>nn.RNN</c>, <c>nn.GRU</c>, <c>nn.LSTM</c>): one ONNX RNN/GRU/LSTM node per layer
/// (both directions in one node), dropout between layers in training graphs.
/// </summary>
/// <remarks>
/// Parameters are PyTorch's state_dict exactly: <c>weight_ih_l{k}</c> [G·H, in], <c>weight_hh_l{k}</c> [G·H, H],
/// <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> [G·H], with <c>_reverse</c> for the backward direction, gates in PyTorch's
/// order (LSTM i, f, g, o; GRU r, z, n). The graph reorders the gate blocks into ONNX's (LSTM i, o, f, c; GRU z, r, h)
/// with one Split and Concat per tensor: weights then cross every boundary (checkpoints, safetensors,
/// <c>load_state_dict</c> in PyTorch, an imported module's initializers) without conversion, and ONNX Runtime folds
/// the reordering into constants when it loads an inference model. Initialised as PyTorch: U(±1/√H) for all.
/// The nodes run time-major ([T, B, …], ONNX layout 0, the only one ONNX Runtime's kernels take); a batch-first
/// layer transposes its input and output.
/// </remarks>
public abstract class RecurrentLayer : Module
{
    private readonly List<Parameter[]> _weights = []; // per layer and direction: w_ih, w_hh, b_ih, b_hh (biases optional)
    private readonly List<Dropout> _dropouts = []; // before layers 1…L−1
    private long? _inputSize;

    /// <summary>Hidden size H.</summary>
    public long HiddenSize { get; }
    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }
    /// <summary>True for a bidirectional layer (outputs 2·H features).</summary>
    public bool Bidirectional { get; }
    /// <summary>True when input and output are [B, T, …] rather than [T, B, …].</summary>
    public bool BatchFirst { get; }
    /// <summary>Dropout probability on the outputs of every layer but the last (training graphs only).</summary>
    public double Dropout { get; }
    /// <summary>Whether the biases exist.</summary>
    public bool UseBias { get; }
    /// <summary>
    /// What <see cref="Forward(Value)"/> returns: true, the last layer's outputs at every step ([B, T, D·H] batch-first);
    /// false, its final hidden state ([B, D·H], the two directions' states side by side) — the input of a classifier head.
    /// </summary>
    public bool ReturnSequences { get; init; } = true;

    private protected abstract int Gates { get; }
    private protected abstract string OpType { get; }

    private protected RecurrentLayer(long hiddenSize, int numLayers, bool bidirectional, bool batchFirst, double dropout, bool useBias, long? inputSize)
    {
        if (hiddenSize <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{GetType().Name}: hidden size must be ≥ 1");
        if (numLayers <= 0) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{GetType().Name}: number of layers must be ≥ 1");
        if (dropout is < 0 or >= 1 || double.IsNaN(dropout)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{GetType().Name}: dropout must lie in [0, 1)");
        HiddenSize = hiddenSize; NumLayers = numLayers; Bidirectional = bidirectional; BatchFirst = batchFirst; Dropout = dropout; UseBias = useBias;
        if (dropout > 0)
            for (int l = 1; l < numLayers; l++) _dropouts.Add(Add($"dropout{l}", new Dropout(dropout)));
        if (inputSize is long i) Build(i);
    }

    private int Directions => Bidirectional ? 2 : 1;

    private void Build(long inputSize)
    {
        if (inputSize <= 0) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{GetType().Name}: input size must be ≥ 1");
        _inputSize = inputSize;
        var init = Initializers.Uniform(-1f / MathF.Sqrt(HiddenSize), 1f / MathF.Sqrt(HiddenSize));
        long gh = Gates * HiddenSize;
        for (int l = 0; l < NumLayers; l++)
            for (int d = 0; d < Directions; d++)
            {
                string sfx = $"_l{l}{(d == 1 ? "_reverse" : "")}";
                long inF = l == 0 ? inputSize : Directions * HiddenSize;
                var ps = new List<Parameter> { AddParameter("weight_ih" + sfx, [gh, inF], init), AddParameter("weight_hh" + sfx, [gh, HiddenSize], init) };
                if (UseBias) { ps.Add(AddParameter("bias_ih" + sfx, [gh], init)); ps.Add(AddParameter("bias_hh" + sfx, [gh], init)); }
                _weights.Add([.. ps]);
            }
    }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var (y, h, _) = Run(x, null, null);
        if (ReturnSequences) return y;
        // The last layer's final states [D, B, H] → [B, D·H].
        var last = Op.Slice(h, [(NumLayers - 1) * Directions], [NumLayers * Directions], [0]);
        return Op.Reshape(Op.Transpose(last, 1, 0, 2), 0, -1);
    }

    /// <summary>
    /// Runs the layer as PyTorch's module does: returns (output, h_n, c_n) with output [B, T, D·H] ([T, B, D·H] unless
    /// batch-first), h_n and c_n [L·D, B, H] (c_n only for LSTM, else null). Initial states are [L·D, B, H]; zeros when null.
    /// </summary>
    public (Value Output, Value HiddenState, Value? CellState) Run(Value x, Value? h0, Value? c0)
    {
        var shape = x.Shape;
        string name = $"{GetType().Name} '{Prefix.TrimEnd('.')}'";
        if (shape is not null && shape.Rank != 3)
            throw new GraphBuildException($"{name}: input '{x.Name}' has shape {shape}, expected {(BatchFirst ? "[batch, seq, features]" : "[seq, batch, features]")}");
        if (_inputSize is null)
        {
            if (shape is null || !shape[2].IsKnown) throw new GraphBuildException($"{name}: the feature size of input '{x.Name}' ({shape?.ToString() ?? "unknown shape"}) must be known to size the weights (or pass inputSize)");
            Build(shape[2].Value!.Value);
        }
        if (c0 is not null && OpType != "LSTM") throw new GraphBuildException($"{name}: only an LSTM has a cell state");
        var g = x.Builder;
        var seq = BatchFirst ? Op.Transpose(x, 1, 0, 2) : x;
        var hs = new List<Value>(); var cs = new List<Value>();
        for (int l = 0; l < NumLayers; l++)
        {
            if (l > 0 && _dropouts.Count > 0) seq = _dropouts[l - 1].Call(seq);
            var ps = Enumerable.Range(0, Directions).Select(d => _weights[l * Directions + d]).ToArray();
            Value Stack(int k) => Directions == 1 ? Op.Unsqueeze(Reorder(ps[0][k].In(g)), 0)
                : Op.Concat(0, Op.Unsqueeze(Reorder(ps[0][k].In(g)), 0), Op.Unsqueeze(Reorder(ps[1][k].In(g)), 0));
            Value? Layer(Value? states) => states is null ? null : Op.Slice(states, [l * Directions], [(l + 1) * Directions], [0]);
            var options = new RecurrentOptions
            {
                Bias = UseBias ? Op.Concat(1, Stack(2), Stack(3)) : null,
                InitialH = Layer(h0),
                Direction = Bidirectional ? RecurrentDirection.Bidirectional : RecurrentDirection.Forward,
            };
            var outs = Node(seq, Stack(0), Stack(1), options, Layer(c0));
            // Y [T, D, B, H] → [T, B, D·H].
            seq = Op.Reshape(Op.Transpose(outs[0], 0, 2, 1, 3), 0, 0, -1);
            hs.Add(outs[1]);
            if (outs.Length > 2) cs.Add(outs[2]);
        }
        Value Join(List<Value> v) => v.Count == 1 ? v[0] : Op.Concat(0, [.. v]);
        return (BatchFirst ? Op.Transpose(seq, 1, 0, 2) : seq, Join(hs), cs.Count > 0 ? Join(cs) : null);
    }

    /// <summary>Emits the ONNX node of one layer (both directions): [Y, Y_h] or [Y, Y_h, Y_c].</summary>
    private protected abstract Value[] Node(Value x, Value w, Value r, RecurrentOptions options, Value? c0);

    /// <summary>The gate order of ONNX's node as indices into PyTorch's gate blocks.</summary>
    private protected abstract int[] OnnxGateOrder { get; }

    // PyTorch's gate blocks (along axis 0) in ONNX's order.
    private Value Reorder(Value v) => RecurrentGates.ToOnnx(v, OnnxGateOrder);
}

/// <summary>
/// Elman RNN (PyTorch's <c>nn.RNN</c>): hₜ = tanh(xₜ·W_ihᵀ + b_ih + hₜ₋₁·W_hhᵀ + b_hh), or ReLU. See
/// <see cref="RecurrentLayer"/> for parameters and layout.
/// </summary>
public sealed class Rnn : RecurrentLayer
{
    /// <summary>True for ReLU instead of tanh (PyTorch's <c>nonlinearity='relu'</c>).</summary>
    public bool Relu { get; }

    /// <summary>Creates the layer (arguments as PyTorch's; the input size is taken from the first input unless given).</summary>
    public Rnn(long hiddenSize, int numLayers = 1, bool bidirectional = false, bool batchFirst = false, double dropout = 0, bool relu = false, bool useBias = true, long? inputSize = null)
        : base(hiddenSize, numLayers, bidirectional, batchFirst, dropout, useBias, inputSize) => Relu = relu;

    private protected override int Gates => 1;
    private protected override string OpType => "RNN";
    private protected override int[] OnnxGateOrder => RecurrentGates.OnnxOrder("RNN");
    private protected override Value[] Node(Value x, Value w, Value r, RecurrentOptions options, Value? c0) => Op.Rnn(x, w, r, options, Relu ? "Relu" : "Tanh");
}

/// <summary>
/// GRU (PyTorch's <c>nn.GRU</c>, ONNX GRU with linear_before_reset = 1). See <see cref="RecurrentLayer"/> for parameters
/// and layout.
/// </summary>
public sealed class Gru : RecurrentLayer
{
    /// <summary>Creates the layer (arguments as PyTorch's; the input size is taken from the first input unless given).</summary>
    public Gru(long hiddenSize, int numLayers = 1, bool bidirectional = false, bool batchFirst = false, double dropout = 0, bool useBias = true, long? inputSize = null)
        : base(hiddenSize, numLayers, bidirectional, batchFirst, dropout, useBias, inputSize) { }

    private protected override int Gates => 3;
    private protected override string OpType => "GRU";
    private protected override int[] OnnxGateOrder => RecurrentGates.OnnxOrder("GRU");
    private protected override Value[] Node(Value x, Value w, Value r, RecurrentOptions options, Value? c0) => Op.Gru(x, w, r, options, linearBeforeReset: true);
}

/// <summary>
/// LSTM (PyTorch's <c>nn.LSTM</c>, without projections). See <see cref="RecurrentLayer"/> for parameters and layout.
/// </summary>
public sealed class Lstm : RecurrentLayer
{
    /// <summary>Creates the layer (arguments as PyTorch's; the input size is taken from the first input unless given).</summary>
    public Lstm(long hiddenSize, int numLayers = 1, bool bidirectional = false, bool batchFirst = false, double dropout = 0, bool useBias = true, long? inputSize = null)
        : base(hiddenSize, numLayers, bidirectional, batchFirst, dropout, useBias, inputSize) { }

    private protected override int Gates => 4;
    private protected override string OpType => "LSTM";
    private protected override int[] OnnxGateOrder => RecurrentGates.OnnxOrder("LSTM");
    private protected override Value[] Node(Value x, Value w, Value r, RecurrentOptions options, Value? c0) => Op.Lstm(x, w, r, options, initialC: c0);
}
