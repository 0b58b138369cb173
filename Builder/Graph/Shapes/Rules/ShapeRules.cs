using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Constant, Reshape and Flatten (the other shape operators live beside them in their own families).</summary>
internal static class ShapeRules
{
    public static void Register()
    {
        ShapeInference.Register("Constant", c =>
        {
            if (ConstantTensor(c.Node) is { } t) return [new TensorType((ElementType)t.DataType, Shape.Of(t.Dims.ToArray()))];
            if (c.Node.Attribute("value_string") is not null) return [new TensorType(ElementType.String, Shape.Scalar)];
            if (c.Node.Attribute("value_strings") is { } ss) return [new TensorType(ElementType.String, Shape.Of(ss.Strings.Count))];
            if (c.Node.Attribute("sparse_value") is { } sp) return [new TensorType((ElementType)sp.SparseTensor.Values.DataType, Shape.Of(sp.SparseTensor.Dims.ToArray()))];
            throw c.Fail("a Constant needs one of the attributes value, value_float(s), value_int(s), value_string(s), sparse_value");
        });
        ShapeInference.Register("Reshape", Reshape);
        ShapeInference.Register("Flatten", c =>
        {
            var s = c.Input(0).Shape;
            if (s is null) return [c.Like(0, new Shape(Dim.Unknown, Dim.Unknown))];
            // Axis may be -r..r (r itself puts everything in the first dimension); negatives count from the back.
            long axisAttr = c.Int("axis", 1);
            if (axisAttr < -s.Rank || axisAttr > s.Rank) throw c.Fail($"axis {axisAttr} is out of range for rank {s.Rank} (expected -{s.Rank}..{s.Rank})");
            int axis = (int)(axisAttr < 0 ? axisAttr + s.Rank : axisAttr);
            return [c.Like(0, new Shape(Product(s.Take(axis)), Product(s.Skip(axis))))];
        });
    }

    /// <summary>
    /// The tensor a Constant node holds, from whichever attribute form it uses (value, value_float(s), value_int(s)),
    /// or null for string and sparse forms.
    /// </summary>
    internal static Schema.TensorProto? ConstantTensor(Node node)
    {
        if (node.GetTensor("value") is { } t) return t;
        if (node.Attribute("value_float") is { } f) return TensorData.Scalar("", ElementType.Float32, f.F);
        if (node.Attribute("value_int") is { } i) return TensorData.FromInt64s("", [i.I]);
        if (node.GetFloats("value_floats") is { } fs) return TensorData.FromFloats("", fs, fs.Length);
        if (node.GetInts("value_ints") is { } its) return TensorData.FromInt64s("", its, its.Length);
        return null;
    }

    /// <summary>Product of dimensions: known when all are known, the symbol itself for a single symbolic dimension.</summary>
    internal static Dim Product(IEnumerable<Dim> dims)
    {
        var list = dims.ToList();
        if (list.All(d => d.IsKnown)) return list.Aggregate(1L, (a, d) => a * d.Value!.Value);
        var unknown = list.Where(d => !(d.IsKnown && d.Value == 1)).ToList();
        return unknown.Count == 1 ? unknown[0] : Dim.Unknown;
    }

    private static TensorType?[] Reshape(ShapeContext c)
    {
        var input = c.Input(0);
        // The target's entries: constants, or sizes carried from Shape ops (e.g. [batch, -1] from x.view(x.size(0), -1)).
        var target = c.ShapeValue(1);
        if (target is null) return [c.Like(0, c.Input(1).Shape is { Rank: 1 } ts && ts[0].IsKnown ? new Shape(Enumerable.Repeat(Dim.Unknown, (int)ts[0].Value!.Value)) : null)];
        bool allowZero = c.Int("allowzero", 0) != 0;
        var s = input.Shape;
        var dims = new Dim[target.Length];
        int inferAt = -1;
        string shown = "[" + string.Join(", ", target.Select(e => e.Number?.ToString() ?? e.Symbol ?? "?")) + "]";
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i].Number is not { } t) { dims[i] = target[i].ToDim(); continue; }
            if (t == -1) { if (inferAt >= 0) throw c.Fail($"target shape {shown} has more than one -1"); inferAt = i; dims[i] = Dim.Unknown; }
            else if (t == 0 && !allowZero) dims[i] = s is not null && i < s.Rank ? s[i] : Dim.Unknown;
            else if (t < 0) throw c.Fail($"target shape {shown} has an invalid entry {t}");
            else dims[i] = Dim.Of(t);
        }
        if (s is not null && s.IsFullyKnown && dims.Where((d, i) => i != inferAt).All(d => d.IsKnown))
        {
            long total = s.ElementCount!.Value;
            long known = dims.Where((d, i) => i != inferAt).Aggregate(1L, (a, d) => a * (d.Value ?? 1));
            if (inferAt >= 0)
            {
                if (known == 0 || total % known != 0) throw c.Fail($"cannot reshape {s} ({total} elements) to {shown}");
                dims[inferAt] = Dim.Of(total / known);
            }
            else if (known != total && dims.All(d => d.IsKnown))
                throw c.Fail($"cannot reshape {s} ({total} elements) to {shown} ({known} elements)");
        }
        else if (s is not null && inferAt >= 0)
        {
            // Symbolic input: -1 inherits a symbol when the known parts cancel out (e.g. [batch, 28, 28] → [-1, 784]).
            var knownIn = s.Where(d => d.IsKnown).Aggregate(1L, (a, d) => a * d.Value!.Value);
            var symIn = s.Where(d => !d.IsKnown).ToList();
            var knownOut = dims.Where((d, i) => i != inferAt && d.IsKnown).Aggregate(1L, (a, d) => a * d.Value!.Value);
            var symOut = dims.Where((d, i) => i != inferAt && !d.IsKnown).ToList();
            if (symIn.Count == 1 && symOut.Count == 0 && knownOut == knownIn) dims[inferAt] = symIn[0];
            else if (symIn.Count == 1 && symOut.Count == 1 && symOut[0].SameAs(symIn[0]) && knownOut > 0 && knownIn % knownOut == 0) dims[inferAt] = knownIn / knownOut;
        }
        return [c.Like(0, new Shape(dims))];
    }
}
