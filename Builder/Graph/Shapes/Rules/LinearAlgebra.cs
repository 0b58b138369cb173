using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>MatMul, Gemm and Einsum.</summary>
internal static class LinearAlgebra
{
    [ShapeRule("MatMul")]
    private static TensorType?[] MatMul(ShapeContext c)
    {
        c.SameElementType(0, 1);
        Shape? a = c.Input(0).Shape, b = c.Input(1).Shape;
        if (a is null || b is null) return [c.Like(0, null)];
        if (a.Rank == 0 || b.Rank == 0) throw c.Fail("MatMul needs inputs of rank ≥ 1");
        // 1-D operands are promoted (a: prepend 1, b: append 1) and the added axis removed afterwards (numpy).
        var ad = a.Rank == 1 ? new[] { Dim.Of(1), a[0] } : a.Dims;
        var bd = b.Rank == 1 ? new[] { b[0], Dim.Of(1) } : b.Dims;
        Dim k1 = ad[^1], k2 = bd[^2];
        if (!k1.Compatible(k2))
            throw c.Fail($"inner dimensions do not match: A is {a} (contracting {k1}), B is {b} (contracting {k2}); expected equal sizes");
        var batch = c.Broadcast(new Shape(ad[..^2]), new Shape(bd[..^2]))!;
        var dims = batch.Dims.ToList();
        if (a.Rank != 1) dims.Add(ad[^2]);
        if (b.Rank != 1) dims.Add(bd[^1]);
        return [c.Like(0, new Shape(dims))];
    }

    [ShapeRule("Gemm")]
    private static TensorType?[] Gemm(ShapeContext c)
    {
        c.SameElementType(0, 1);
        Shape? a = c.Input(0).Shape, b = c.Input(1).Shape;
        if (a is null || b is null) return [c.Like(0, null)];
        if (a.Rank != 2 || b.Rank != 2)
            throw c.Fail($"Gemm needs 2-D A and B, got A {a} and B {b} (flatten the input first, e.g. with a Flatten layer)");
        bool ta = c.Int("transA", 0) != 0, tb = c.Int("transB", 0) != 0;
        Dim m = ta ? a[1] : a[0], k1 = ta ? a[0] : a[1];
        Dim k2 = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
        if (!k1.Compatible(k2))
            throw c.Fail($"inner dimensions do not match: A{(ta ? "ᵀ" : "")} is [{m}, {k1}], B{(tb ? "ᵀ" : "")} is [{k2}, {n}]; expected {k1} = {k2}");
        var y = new Shape(m, n);
        if (c.HasInput(2) && c.Input(2).Shape is { } cs)
        {
            var bc = c.Broadcast(cs, y)!;
            if (bc.Rank != 2 || !bc[0].Compatible(m) || !bc[1].Compatible(n))
                throw c.Fail($"C of shape {cs} cannot be broadcast to the result [{m}, {n}]");
        }
        return [c.Like(0, y)];
    }

    private const string Ellipsis = "...";

    /// <summary>One operand's subscript: its letters and where the ellipsis stands (−1 when absent).</summary>
    private sealed record Term(string Letters, int EllipsisAt);

    private static Term ParseTerm(ShapeContext c, string text, string equation)
    {
        int at = text.IndexOf(Ellipsis, StringComparison.Ordinal);
        if (at >= 0 && text.IndexOf(Ellipsis, at + 1, StringComparison.Ordinal) >= 0)
            throw c.Fail($"equation '{equation}': term '{text}' has more than one ellipsis");
        string letters = at >= 0 ? text.Remove(at, Ellipsis.Length) : text;
        if (letters.Any(ch => !char.IsAsciiLetter(ch)))
            throw c.Fail($"equation '{equation}': term '{text}' may hold only letters and one '...'");
        return new Term(letters, at);
    }

    [ShapeRule("Einsum")]
    // Parses the equation (explicit or implicit output, "..." ellipsis) and sizes each output letter.
    private static TensorType?[] Einsum(ShapeContext c)
    {
        string equation = (c.String("equation") ?? throw c.Fail("attribute 'equation' is required")).Replace(" ", "");
        for (int i = 1; i < c.InputCount; i++) c.SameElementType(0, i);
        var sides = equation.Split("->");
        if (sides.Length > 2) throw c.Fail($"equation '{equation}' has more than one '->'");
        var terms = sides[0].Split(',').Select(t => ParseTerm(c, t, equation)).ToArray();
        if (terms.Length != c.InputCount)
            throw c.Fail($"equation '{equation}' names {terms.Length} operands, expected one per input ({c.InputCount})");

        var sizes = new Dictionary<char, Dim>();
        var counts = new Dictionary<char, int>();
        var ellipsisShapes = new List<Shape?>();
        bool anyEllipsis = false;
        for (int i = 0; i < terms.Length; i++)
        {
            var term = terms[i];
            var s = c.Input(i).Shape;
            foreach (var ch in term.Letters) counts[ch] = counts.GetValueOrDefault(ch) + 1;
            if (term.EllipsisAt >= 0) anyEllipsis = true;
            if (s is null)
            {
                foreach (var ch in term.Letters) sizes.TryAdd(ch, Dim.Unknown);
                if (term.EllipsisAt >= 0) ellipsisShapes.Add(null);
                continue;
            }
            int ellipsisRank = s.Rank - term.Letters.Length;
            if (term.EllipsisAt < 0 ? ellipsisRank != 0 : ellipsisRank < 0)
                throw c.Fail($"equation '{equation}': operand {i} '{c.InputName(i)}' {s} has rank {s.Rank}, but its term '{sides[0].Split(',')[i]}' names {term.Letters.Length} axes{(term.EllipsisAt >= 0 ? " plus an ellipsis" : "")}");
            for (int k = 0, axis = 0; k < term.Letters.Length; k++, axis++)
            {
                if (k == term.EllipsisAt) axis += ellipsisRank;
                char ch = term.Letters[k];
                Dim d = s[axis];
                if (!sizes.TryGetValue(ch, out var prev)) { sizes[ch] = d; continue; }
                // A letter is one size everywhere; a size of 1 broadcasts.
                if (prev.IsKnown && prev.Value == 1) sizes[ch] = d;
                else if (d.IsKnown && d.Value == 1) { }
                else sizes[ch] = DimMath.Merge(prev, d)
                    ?? throw c.Fail($"equation '{equation}': subscript '{ch}' is {prev} in one operand and {d} in operand {i} '{c.InputName(i)}' {s}; expected equal sizes");
            }
            if (term.EllipsisAt >= 0) ellipsisShapes.Add(new Shape(s.Skip(term.EllipsisAt).Take(ellipsisRank)));
        }
        // ONNX (and ORT) want every '...' to stand for the same number of axes; sizes of 1 broadcast.
        var ranks = ellipsisShapes.Where(e => e is not null).Select(e => e!.Rank).Distinct().ToList();
        if (ranks.Count > 1)
            throw c.Fail($"equation '{equation}': the ellipses stand for {string.Join(" and ", ranks)} axes in different operands; expected the same number");
        var ellipsis = anyEllipsis ? c.Broadcast(ellipsisShapes.ToArray()) : Shape.Scalar;

        Term output;
        if (sides.Length == 2)
        {
            output = ParseTerm(c, sides[1], equation);
            foreach (var ch in output.Letters)
                if (!sizes.ContainsKey(ch)) throw c.Fail($"equation '{equation}': output subscript '{ch}' appears in no operand");
            if (output.Letters.Distinct().Count() != output.Letters.Length) throw c.Fail($"equation '{equation}': an output subscript repeats");
        }
        else
        {
            // Implicit output: the ellipsis axes, then the letters used exactly once, in alphabetical order.
            var once = new string(counts.Where(p => p.Value == 1).Select(p => p.Key).OrderBy(ch => ch).ToArray());
            output = new Term(once, anyEllipsis ? 0 : -1);
        }
        if (output.EllipsisAt >= 0 && ellipsis is null) return [c.Like(0, null)];
        var dims = output.Letters.Select(ch => sizes[ch]).ToList();
        if (output.EllipsisAt >= 0) dims.InsertRange(output.EllipsisAt, ellipsis!);
        return [c.Like(0, new Shape(dims))];
    }
}
