using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>
/// Arithmetic on dimensions shared by the rule families. A result is a number only when every operand is a
/// number; a symbol survives only an operation that provably leaves it unchanged (adding 0, multiplying by 1);
/// anything else becomes <see cref="Dim.Unknown"/>, never a guessed number.
/// </summary>
internal static class DimMath
{
    /// <summary>d + k.</summary>
    public static Dim Add(Dim d, long k) => d.IsKnown ? Dim.Of(d.Value!.Value + k) : k == 0 ? d : Dim.Unknown;

    /// <summary>d · k.</summary>
    public static Dim Mul(Dim d, long k) => d.IsKnown ? Dim.Of(d.Value!.Value * k) : k == 1 ? d : Dim.Unknown;

    /// <summary>Sum of dimensions: known when all are; the single non-zero symbol when the rest are zero.</summary>
    public static Dim Sum(IEnumerable<Dim> dims)
    {
        var list = dims.ToList();
        if (list.All(d => d.IsKnown)) return Dim.Of(list.Sum(d => d.Value!.Value));
        var nonZero = list.Where(d => !(d.IsKnown && d.Value == 0)).ToList();
        return nonZero.Count == 1 ? nonZero[0] : Dim.Unknown;
    }

    /// <summary>
    /// Two dimensions that must be equal, merged into the more informative one (a number over a symbol);
    /// null when both are known numbers that differ (the caller reports it).
    /// </summary>
    public static Dim? Merge(Dim a, Dim b)
    {
        if (a.IsKnown && b.IsKnown) return a.Value == b.Value ? a : (Dim?)null;
        if (a.IsKnown) return a;
        if (b.IsKnown) return b;
        return a.Symbol is not null ? a : b;
    }

    /// <summary>floor(a / b) for b &gt; 0, also for negative a.</summary>
    public static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>ceil(a / b) for b &gt; 0, also for negative a.</summary>
    public static long CeilDiv(long a, long b) => -FloorDiv(-a, b);

    /// <summary>An integer-list attribute of a given length, or <paramref name="fill"/> repeated when absent; fails on a wrong length.</summary>
    public static long[] IntsOr(ShapeContext c, string name, int length, long fill) => IntsOr(c.Node, name, length, fill, c.Fail);

    /// <summary>The same for a node outside shape inference; a wrong length fails through <paramref name="fail"/>.</summary>
    public static long[] IntsOr(Node node, string name, int length, long fill, Func<string, Exception> fail)
    {
        var v = node.GetInts(name);
        if (v is null) return Enumerable.Repeat(fill, length).ToArray();
        if (v.Length != length) throw fail($"attribute '{name}' has {v.Length} entries [{string.Join(", ", v)}], expected {length}");
        return v;
    }

    /// <summary>A shape of the given rank whose dimensions are all unknown.</summary>
    public static Shape Unknowns(int rank) => new(Enumerable.Repeat(Dim.Unknown, rank));

    /// <summary>Normalises a list of axes for rank <paramref name="rank"/>, failing on out-of-range or repeated axes.</summary>
    public static int[] Axes(ShapeContext c, IEnumerable<long> axes, int rank, string what = "axes")
    {
        var list = axes.ToArray();
        var result = list.Select(a => c.Axis(a, rank, what == "axes" ? "axis" : what)).ToArray();
        if (result.Distinct().Count() != result.Length)
            throw c.Fail($"{what} [{string.Join(", ", list)}] name the same axis twice (rank {rank})");
        return result;
    }

    /// <summary>True for int32/int64 (or not known): the index types ONNX accepts.</summary>
    public static bool IsIndexType(ElementType t) => t is ElementType.Int32 or ElementType.Int64 or ElementType.Undefined;
}
