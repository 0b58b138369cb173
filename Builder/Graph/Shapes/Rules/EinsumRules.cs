using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Einsum: parses the equation (explicit or implicit output, <c>...</c> ellipsis) and sizes each output letter.</summary>
internal static class EinsumRules
{
    private const string Ellipsis = "...";

    public static void Register() => ShapeInference.Register("Einsum", Einsum);

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
