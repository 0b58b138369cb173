using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>
/// RNN, GRU and LSTM: X [T, B, I] (layout 0) or [B, T, I] (layout 1), W [D, G·H, I], R [D, G·H, H], B [D, 2·G·H],
/// sequence_lens [B] (int32), initial_h (and LSTM's initial_c) [D, B, H] or [B, D, H], LSTM's peepholes P [D, 3·H];
/// outputs Y [T, D, B, H] or [B, T, D, H] and Y_h (Y_c) like initial_h. G is 1, 3 or 4 gates, D 2 for a bidirectional
/// node and 1 otherwise.
/// </summary>
internal static class Recurrent
{
    [ShapeRule("RNN")] private static TensorType?[] Rnn(ShapeContext c) => Shapes(c, gates: 1, states: 1);
    [ShapeRule("GRU")] private static TensorType?[] Gru(ShapeContext c) => Shapes(c, gates: 3, states: 1);
    [ShapeRule("LSTM")] private static TensorType?[] Lstm(ShapeContext c) => Shapes(c, gates: 4, states: 2);

    private static TensorType?[] Shapes(ShapeContext c, int gates, int states)
    {
        string direction = c.String("direction", "forward")!;
        long directions = direction switch
        {
            "forward" or "reverse" => 1,
            "bidirectional" => 2,
            _ => throw c.Fail($"attribute direction '{direction}' is not one of forward, reverse, bidirectional"),
        };
        long layout = c.Int("layout", 0);
        if (layout is not (0 or 1)) throw c.Fail($"attribute layout {layout} must be 0 ([seq, batch, …]) or 1 ([batch, seq, …])");
        if (layout == 1 && c.Opset < 14) throw c.Fail($"attribute layout needs opset ≥ 14, the graph has {c.Opset}");
        for (int i = 1; i < c.InputCount; i++)
            if (i != 4 && c.HasInput(i)) c.SameElementType(0, i);
        if (c.HasInput(4) && c.Input(4).ElementType is not (ElementType.Int32 or ElementType.Undefined))
            throw c.Fail($"sequence_lens must be int32, got {c.Input(4).ElementType.OnnxName()}");

        var x = c.Input(0).Shape;
        if (x is not null && x.Rank != 3) throw c.Fail($"input X {x} must have rank 3 ({(layout == 0 ? "[seq, batch, input]" : "[batch, seq, input]")})");
        Dim seq = x is null ? Dim.Unknown : x[layout == 0 ? 0 : 1];
        Dim batch = x is null ? Dim.Unknown : x[layout == 0 ? 1 : 0];
        Dim input = x is null ? Dim.Unknown : x[2];
        long? declared = c.Node.Attributes.Any(a => a.Name == "hidden_size") ? c.Int("hidden_size", 0) : null;
        if (declared is <= 0) throw c.Fail($"attribute hidden_size {declared} must be ≥ 1");
        Dim hidden = declared is { } h ? Dim.Of(h) : Dim.Unknown;

        var d = Dim.Of(directions);
        hidden = Expect(c, 2, "R", [d, Gates(hidden, gates), hidden], hidden, gates, 2);
        Expect(c, 1, "W", [d, Gates(hidden, gates), input], hidden, gates, null);
        Expect(c, 3, "B", [d, Gates(hidden, 2 * gates)], hidden, 2 * gates, null);
        Expect(c, 4, "sequence_lens", [batch], hidden, 0, null);
        Dim[] stateDims = layout == 0 ? [d, batch, hidden] : [batch, d, hidden];
        Expect(c, 5, "initial_h", stateDims, hidden, 0, null);
        if (states == 2)
        {
            Expect(c, 6, "initial_c", stateDims, hidden, 0, null);
            Expect(c, 7, "P", [d, Gates(hidden, 3)], hidden, 3, null);
        }

        var type = c.Input(0).ElementType;
        var y = new TensorType(type, layout == 0 ? new Shape(seq, d, batch, hidden) : new Shape(batch, seq, d, hidden));
        var state = new TensorType(type, new Shape(stateDims));
        return states == 2 ? [y, state, state] : [y, state];
    }

    private static Dim Gates(Dim hidden, long gates) => DimMath.Mul(hidden, gates);

    // Checks input i against the expected dimensions; where hidden_size was not given, learns it from dimension
    // hiddenAt (R's last) and returns it.
    private static Dim Expect(ShapeContext c, int i, string what, Dim[] expected, Dim hidden, int gates, int? hiddenAt)
    {
        if (!c.HasInput(i) || c.Input(i).Shape is not { } s) return hidden;
        if (s.Rank != expected.Length)
            throw c.Fail($"{what} '{c.InputName(i)}' has shape {s}, expected rank {expected.Length} [{string.Join(", ", expected)}]");
        if (hiddenAt is { } at && !hidden.IsKnown && s[at].IsKnown)
        {
            hidden = s[at];
            expected = [expected[0], Gates(hidden, gates), hidden];
        }
        for (int k = 0; k < expected.Length; k++)
            if (!s[k].Compatible(expected[k]))
                throw c.Fail($"{what} '{c.InputName(i)}' has shape {s}, expected [{string.Join(", ", expected)}]" +
                    (gates > 0 ? $" ({gates} gate blocks of hidden_size {hidden})" : ""));
        return hidden;
    }
}
