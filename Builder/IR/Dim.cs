namespace OnnxKit.IR;

/// <summary>
/// One dimension of a tensor shape: a known size, a named symbol such as <c>batch</c> (equal wherever the
/// same name appears), or unknown.
/// </summary>
public readonly record struct Dim
{
    /// <summary>The size, where known.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name, where the size is symbolic.</summary>
    public string? Symbol { get; }

    private Dim(long? value, string? symbol) { Value = value; Symbol = symbol; }

    /// <summary>A dimension of known size.</summary>
    public static Dim Of(long value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "a dimension cannot be negative");
        return new Dim(value, null);
    }

    /// <summary>A named symbolic dimension.</summary>
    public static Dim Sym(string name) =>
        string.IsNullOrEmpty(name) ? Unknown : new Dim(null, name);

    /// <summary>An unknown dimension.</summary>
    public static Dim Unknown => default;

    /// <summary>True when the size is a known number.</summary>
    public bool IsKnown => Value.HasValue;

    /// <summary>True when neither a number nor a symbol is known.</summary>
    public bool IsUnknown => !Value.HasValue && Symbol is null;

    /// <summary>Converts a number to a known dimension.</summary>
    public static implicit operator Dim(long value) => Of(value);

    /// <summary>Converts a name to a symbolic dimension.</summary>
    public static implicit operator Dim(string symbol) => Sym(symbol);

    /// <summary>True when both are provably the same size (same number, or same symbol).</summary>
    public bool SameAs(Dim other) =>
        (IsKnown && other.IsKnown && Value == other.Value) || (Symbol is not null && Symbol == other.Symbol);

    /// <summary>True when the two could be the same size at run time (nothing proves otherwise).</summary>
    public bool Compatible(Dim other) => !(IsKnown && other.IsKnown && Value != other.Value);

    /// <inheritdoc/>
    public override string ToString() => Value?.ToString() ?? Symbol ?? "?";
}
