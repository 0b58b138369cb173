using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>
/// One RNN, GRU or LSTM node read for unrolling (see <see cref="Recurrent"/>): its attributes checked, and
/// <see cref="Unroll"/> to write its time steps in plain ONNX operators with the node's outputs in the node's layout.
/// </summary>
internal sealed class RecurrentCell
{
    private readonly GradScope _g;
    private readonly string _op;
    private readonly int _gates, _directions, _steps;
    private readonly long _hidden;
    private readonly bool _reverse, _batchFirst, _linearBeforeReset;
    private readonly string[] _activations; // per direction: RNN f; GRU f, g; LSTM f, g, h

    private static readonly string[] Supported = ["Sigmoid", "Tanh", "Relu"];

    private RecurrentCell(GradScope g)
    {
        _g = g;
        _op = g.Node.OpType;
        _gates = _op switch { "RNN" => 1, "GRU" => 3, _ => 4 };
        string direction = g.AttrString("direction", "forward")!;
        _directions = direction == "bidirectional" ? 2 : 1;
        _reverse = direction == "reverse";
        _batchFirst = g.AttrInt("layout", 0) == 1;
        _linearBeforeReset = g.AttrInt("linear_before_reset", 0) != 0;
        var r = g.Input(2);
        _hidden = g.AttrInt("hidden_size", 0) is > 0 and var h ? h
            : r.Shape is { Rank: 3 } rs && rs[2].IsKnown ? rs[2].Value!.Value : throw g.Fail("hidden_size is neither given nor known from R's shape");
        var x = g.Input(0).Shape;
        var seq = x is { Rank: 3 } ? x[_batchFirst ? 1 : 0] : Dim.Unknown;
        _steps = seq.IsKnown ? (int)seq.Value!.Value
            : throw g.Fail($"the sequence length of X is {(x is null ? "unknown" : $"'{seq}' in {x}")}; the gradient unrolls the time steps, so it must be a fixed number when the training graph is built (export with a fixed sequence axis)");
        if (_steps == 0) throw g.Fail("X has no time steps");
        if (g.Node.Attributes.Any(a => a.Name == "clip")) throw g.Fail("the clip attribute is not supported by the gradient (cell clipping is not differentiable everywhere); export without it");
        if (g.AttrInt("input_forget", 0) != 0) throw g.Fail("input_forget=1 (coupled input and forget gates) is not supported by the gradient");
        if (g.Node.Attributes.Any(a => a.Name is "activation_alpha" or "activation_beta"))
            throw g.Fail("activation_alpha/activation_beta are not supported by the gradient (only Sigmoid, Tanh and Relu activations)");
        string[] defaults = _op switch { "RNN" => ["Tanh"], "GRU" => ["Sigmoid", "Tanh"], _ => ["Sigmoid", "Tanh", "Tanh"] };
        var declared = g.Node.Attribute("activations")?.Strings.Select(a => a.ToStringUtf8()).ToArray();
        _activations = declared is { Length: > 0 } ? declared : [.. Enumerable.Repeat(defaults, _directions).SelectMany(a => a)];
        if (_activations.Length != defaults.Length * _directions)
            throw g.Fail($"{_activations.Length} activations given, expected {defaults.Length * _directions} ({defaults.Length} per direction)");
        if (_activations.FirstOrDefault(a => !Supported.Contains(a, StringComparer.OrdinalIgnoreCase)) is { } bad)
            throw g.Fail($"activation '{bad}' is not supported by the gradient (expected one of {string.Join(", ", Supported)})");
    }

    /// <summary>Reads and checks the node of <paramref name="g"/>.</summary>
    public static RecurrentCell Read(GradScope g) => new(g);

    /// <summary>The node's outputs [Y, Y_h] (and Y_c for LSTM), computed step by step.</summary>
    public Value[] Unroll()
    {
        var g = _g;
        var x = _batchFirst ? Op.Transpose(g.Input(0), 1, 0, 2) : g.Input(0); // [T, B, I]
        var ys = new List<Value>(); var hs = new List<Value>(); var cs = new List<Value>();
        for (int d = 0; d < _directions; d++)
        {
            var (y, h, c) = Direction(x, d, reverse: _reverse || d == 1);
            ys.Add(Op.Unsqueeze(y, 1)); // [T, 1, B, H]
            hs.Add(Op.Unsqueeze(h, _batchFirst ? 1 : 0));
            if (c is not null) cs.Add(Op.Unsqueeze(c, _batchFirst ? 1 : 0));
        }
        Value Join(List<Value> parts, int axis) => parts.Count == 1 ? parts[0] : Op.Concat(axis, [.. parts]);
        var yAll = Join(ys, 1);
        if (_batchFirst) yAll = Op.Transpose(yAll, 2, 0, 1, 3); // [B, T, D, H]
        var outputs = new List<Value> { yAll, Join(hs, _batchFirst ? 1 : 0) };
        if (_op == "LSTM") outputs.Add(Join(cs, _batchFirst ? 1 : 0));
        return [.. outputs];
    }

    // One direction: Y [T, B, H] in time order, the last hidden state [B, H] and (LSTM) the last cell state.
    private (Value Y, Value H, Value? C) Direction(Value x, int d, bool reverse)
    {
        var g = _g;
        long gh = _gates * _hidden;
        // Direction d's slice of a [D, …] input (or of [B, D, H] states in layout 1).
        Value Slice(Value v, int axis) => Op.Squeeze(_directions == 1 ? v : Op.Slice(v, [d], [d + 1], [axis]), axis);
        Value Of(int input) => Slice(g.Input(input), 0);
        Value? State(int input) => g.HasInput(input) ? Slice(g.Input(input), _batchFirst ? 1 : 0) : null;
        Value w = Of(1), r = Of(2); // [G·H, I], [G·H, H]
        Value? wb = null, rb = null;
        if (g.HasInput(3)) { var bias = Op.Split(Of(3), 0, gh, gh); wb = bias[0]; rb = bias[1]; }
        var act = _activations.Skip(d * _activations.Length / _directions).Take(_activations.Length / _directions).ToArray();

        // The input projection of every step in one product; the recurrent biases join it except GRU's reset-gated one.
        Value? rbOutside = null, rbHidden = null;
        if (rb is not null && _op == "GRU" && _linearBeforeReset)
        {
            var parts = Op.Split(rb, 0, 2 * _hidden, _hidden);
            rbOutside = parts[0]; rbHidden = parts[1];
        }
        else rbOutside = rb;
        var projected = Op.MatMul(x, Op.Transpose(w, 1, 0)); // [T, B, G·H]
        if (wb is not null) projected = projected + wb;
        if (rbOutside is not null)
            projected = projected + (_op == "GRU" && _linearBeforeReset ? Op.Concat(0, rbOutside, g.ZerosLike(rbHidden!)) : rbOutside);
        var steps = _steps == 1 ? [projected] : Op.SplitEqual(projected, 0, _steps);
        var rt = Op.Transpose(r, 1, 0); // [H, G·H]

        Value? h = State(5), c = _op == "LSTM" ? State(6) : null;
        Value[]? peep = _op == "LSTM" && g.HasInput(7) ? Op.SplitEqual(Of(7), 0, 3) : null; // i, o, f
        Value? zeros = null;
        Value Zeros() => zeros ??= Op.ConstantOfShape(Op.Concat(0, g.Dims(x, 1, 2), g.Ints(_hidden)), 0, g.ElementType);
        var ys = new Value[_steps];
        for (int s = 0; s < _steps; s++)
        {
            int t = reverse ? _steps - 1 - s : s;
            var xt = Op.Squeeze(steps[t], 0); // [B, G·H]
            Value hn; Value? cn = null;
            switch (_op)
            {
                case "RNN":
                    hn = Activate(act[0], h is null ? xt : xt + Op.MatMul(h, rt));
                    break;
                case "GRU":
                    hn = GruStep(xt, h, r, act, rbHidden);
                    break;
                default:
                    (hn, cn) = LstmStep(xt, h, c, rt, act, peep);
                    break;
            }
            if (g.HasInput(4))
            {
                // Steps at or past a sample's length keep its state and output zeros.
                var valid = Op.Unsqueeze(Op.Less(g.Graph.Scalar(t, ElementType.Int32), g.Input(4)), 1); // [B, 1]
                ys[t] = Op.Where(valid, hn, g.C(0));
                h = Op.Where(valid, hn, h ?? Zeros());
                if (cn is not null) c = Op.Where(valid, cn, c ?? Zeros());
            }
            else { ys[t] = hn; h = hn; c = cn ?? c; }
        }
        var y = _steps == 1 ? Op.Unsqueeze(ys[0], 0) : Op.Concat(0, [.. ys.Select(v => Op.Unsqueeze(v, 0))]);
        return (y, h!, c);
    }

    // zₜ = f(xz + h·Rzᵀ), rₜ = f(xr + h·Rrᵀ), ĥ = g(xh + rₜ⊙(h·Rhᵀ + Rbh)) or g(xh + (rₜ⊙h)·Rhᵀ), h' = ĥ + zₜ⊙(h − ĥ).
    private Value GruStep(Value xt, Value? h, Value r, string[] act, Value? rbHidden)
    {
        var parts = Op.Split(xt, 1, 2 * _hidden, _hidden);
        Value xzr = parts[0], xh = parts[1];
        if (h is null)
        {
            // Zero initial state: the recurrent products vanish (the reset gate multiplies zero or Rbh).
            var zr0 = Op.Split(Activate(act[0], xzr), 1, _hidden, _hidden);
            var pre0 = rbHidden is null ? xh : xh + zr0[1] * rbHidden;
            var hh0 = Activate(act[1], pre0);
            return hh0 - zr0[0] * hh0;
        }
        var rParts = Op.Split(r, 0, 2 * _hidden, _hidden);
        var zr = Op.Split(Activate(act[0], xzr + Op.MatMul(h, Op.Transpose(rParts[0], 1, 0))), 1, _hidden, _hidden);
        Value z = zr[0], reset = zr[1], rh = Op.Transpose(rParts[1], 1, 0);
        Value pre;
        if (_linearBeforeReset)
        {
            var hr = Op.MatMul(h, rh);
            pre = xh + reset * (rbHidden is null ? hr : hr + rbHidden);
        }
        else pre = xh + Op.MatMul(reset * h, rh);
        var hh = Activate(act[1], pre);
        return hh + z * (h - hh);
    }

    // Gates i, o, f, c: iₜ = f(xi + h·Riᵀ + Pi⊙c), fₜ = f(xf + h·Rfᵀ + Pf⊙c), c' = fₜ⊙c + iₜ⊙g(xc + h·Rcᵀ),
    // oₜ = f(xo + h·Roᵀ + Po⊙c'), h' = oₜ⊙h(c').
    private (Value H, Value C) LstmStep(Value xt, Value? h, Value? c, Value rt, string[] act, Value[]? peep)
    {
        var pre = h is null ? xt : xt + Op.MatMul(h, rt);
        var gates = Op.SplitEqual(pre, 1, 4);
        Value gi = gates[0], go = gates[1], gf = gates[2], gc = gates[3];
        if (peep is not null && c is not null) { gi = gi + peep[0] * c; gf = gf + peep[2] * c; }
        var i = Activate(act[0], gi);
        var cand = Activate(act[1], gc);
        var cn = c is null ? i * cand : Activate(act[0], gf) * c + i * cand;
        if (peep is not null) go = go + peep[1] * cn;
        var hn = Activate(act[0], go) * Activate(act[2], cn);
        return (hn, cn);
    }

    private static Value Activate(string name, Value v) => name.ToLowerInvariant() switch
    {
        "sigmoid" => Op.Sigmoid(v),
        "tanh" => Op.Tanh(v),
        _ => Op.Relu(v),
    };
}
