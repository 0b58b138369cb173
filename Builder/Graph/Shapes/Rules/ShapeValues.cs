using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>One entry of an int64 tensor computed from shapes: a number (any sign: −1 and 0 mean something to Reshape), a symbol, or unknown.</summary>
internal readonly record struct ShapeEntry(long? Number, string? Symbol)
{
    public static ShapeEntry FromDim(Dim d) => new(d.Value, d.Symbol);

    /// <summary>As a dimension: a non-negative number, the symbol, else unknown.</summary>
    public Dim ToDim() => Number is >= 0 ? Dim.Of(Number.Value) : Symbol is not null ? Dim.Sym(Symbol) : Dim.Unknown;
}

/// <summary>
/// Propagates the values of small shape tensors through the ops exporters chain to build Reshape targets
/// (Shape → Gather → Unsqueeze → Concat → Reshape, as PyTorch writes <c>x.view(x.size(0), -1)</c>). Each op here already
/// has its type rule; this wraps it to also record its output's content where the inputs' content is known.
/// </summary>
internal static class ShapeValues
{
    /// <summary>Wraps the type rules of the ops above; run once, after every family's rules are registered.</summary>
    public static void Track()
    {
        Wrap("Shape", (c, _) =>
        {
            var s = c.Input(0).Shape;
            if (s is null) return null;
            long r = s.Rank, start = c.Int("start", 0), end = c.Int("end", r);
            if (start < 0) start += r;
            if (end < 0) end += r;
            start = Math.Clamp(start, 0, r); end = Math.Clamp(end, 0, r);
            return s.Skip((int)start).Take((int)Math.Max(0, end - start)).Select(ShapeEntry.FromDim).ToArray();
        });
        Wrap("Gather", (c, _) =>
        {
            if (c.ShapeValue(0) is not { } v || c.ConstantInts(1) is not { } idx || c.Input(0).Rank != 1) return null;
            if (idx.Any(i => i < -v.Length || i >= v.Length)) return null;
            return idx.Select(i => v[i < 0 ? i + v.Length : i]).ToArray();
        });
        foreach (var op in new[] { "Unsqueeze", "Squeeze", "Identity", "Cast", "Reshape" })
            Wrap(op, (c, _) => c.Input(0).Rank is 0 or 1 && c.ShapeValue(0) is { } v ? v : null);
        Wrap("Concat", (c, _) =>
        {
            var parts = new List<ShapeEntry>();
            for (int i = 0; i < c.InputCount; i++)
            {
                if (c.Input(i).Shape is not { Rank: 1 } s) return null;
                // A part computed at run time but of known length contributes unknown entries.
                if (c.ShapeValue(i) is { } v) parts.AddRange(v);
                else if (s[0].IsKnown && s[0].Value <= 64) parts.AddRange(Enumerable.Repeat(new ShapeEntry(null, null), (int)s[0].Value!.Value));
                else return null;
            }
            return parts.ToArray();
        });
        Wrap("Slice", (c, _) =>
        {
            if (c.Input(0).Rank != 1 || c.ShapeValue(0) is not { } v || c.ConstantInts(1) is not [var start] || c.ConstantInts(2) is not [var end]) return null;
            if (c.HasInput(4) && c.ConstantInts(4) is not [1]) return null;
            long n = v.Length;
            start = Math.Clamp(start < 0 ? start + n : start, 0, n); end = Math.Clamp(end < 0 ? end + n : end, 0, n);
            return v.Skip((int)start).Take((int)Math.Max(0, end - start)).ToArray();
        });
    }

    private static void Wrap(string op, Func<ShapeContext, TensorType?[], ShapeEntry[]?> value)
    {
        var inner = ShapeInference.Rule(op) ?? throw new InvalidOperationException($"no type rule for {op} to wrap");
        ShapeInference.Register(op, c =>
        {
            var types = inner(c);
            if (types.Length > 0 && types[0] is { ElementType: ElementType.Int64 or ElementType.Int32 } && value(c, types) is { Length: <= 64 } v)
                c.SetShapeValue(0, v);
            return types;
        });
    }
}
