using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Operators that make tensors from attributes or shapes, or describe shapes: Constant, Shape, Size, ConstantOfShape, Range, EyeLike, Trilu, the Random* family.</summary>
internal static class Generation
{
    [ShapeRule("Size")]
    private static TensorType?[] Size(ShapeContext c) => [new TensorType(ElementType.Int64, Shape.Scalar)];

    [ShapeRule("Trilu")]
    private static TensorType?[] Trilu(ShapeContext c)
    {
        if (c.Input(0).Shape is { Rank: < 2 } s) throw c.Fail($"input {s} must have rank ≥ 2 (the last two axes form the matrices)");
        if (c.HasInput(1) && c.Input(1).Shape is { } k && k.ElementCount != 1) throw c.Fail($"k must be a scalar, got shape {k}");
        return [c.Input(0)];
    }

    [ShapeRule("EyeLike")]
    private static TensorType?[] EyeLike(ShapeContext c)
    {
        if (c.Input(0).Shape is { Rank: not 2 } s) throw c.Fail($"input {s} must be 2-D");
        return [new TensorType(DType(c, c.Input(0).ElementType), c.Input(0).Shape)];
    }

    [ShapeRule("RandomNormalLike", "RandomUniformLike", "Bernoulli")]
    private static TensorType?[] RandomLike(ShapeContext c) => [new TensorType(DType(c, c.Input(0).ElementType), c.Input(0).Shape)];

    [ShapeRule("RandomNormal", "RandomUniform")]
    private static TensorType?[] Random(ShapeContext c)
    {
        var shape = c.Ints("shape") ?? throw c.Fail("attribute 'shape' is required");
        return [new TensorType(DType(c, ElementType.Float32), Shape.Of(shape))];
    }

    [ShapeRule("Constant")]
    private static TensorType?[] Constant(ShapeContext c)
    {
        if (ConstantTensor(c.Node) is { } t) return [new TensorType((ElementType)t.DataType, Shape.Of(t.Dims.ToArray()))];
        if (c.Node.Attribute("value_string") is not null) return [new TensorType(ElementType.String, Shape.Scalar)];
        if (c.Node.Attribute("value_strings") is { } ss) return [new TensorType(ElementType.String, Shape.Of(ss.Strings.Count))];
        if (c.Node.Attribute("sparse_value") is { } sp) return [new TensorType((ElementType)sp.SparseTensor.Values.DataType, Shape.Of(sp.SparseTensor.Dims.ToArray()))];
        throw c.Fail("a Constant needs one of the attributes value, value_float(s), value_int(s), value_string(s), sparse_value");
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

    private static ElementType DType(ShapeContext c, ElementType dflt) =>
        c.Node.Attribute("dtype") is null ? dflt : (ElementType)c.Int("dtype", (long)dflt);

    [ShapeRule("Shape")]
    private static TensorType?[] ShapeOf(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        if (s is null) return [new TensorType(ElementType.Int64, new Shape(Dim.Unknown))];
        // start/end (opset 15) are clamped to [0, rank] after adding rank to negative values.
        long r = s.Rank;
        long start = c.Int("start", 0), end = c.Int("end", r);
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.Clamp(start, 0, r); end = Math.Clamp(end, 0, r);
        return [new TensorType(ElementType.Int64, new Shape(Dim.Of(Math.Max(0, end - start))))];
    }

    [ShapeRule("ConstantOfShape")]
    private static TensorType?[] ConstantOfShape(ShapeContext c)
    {
        var type = c.Tensor("value") is { } v ? (ElementType)v.DataType : ElementType.Float32;
        if (c.Input(0).ElementType is not (ElementType.Int64 or ElementType.Undefined))
            throw c.Fail($"the shape input must be int64, got {c.Input(0).ElementType.OnnxName()}");
        if (c.ShapeValue(0) is { } dims)
            return [new TensorType(type, new Shape(dims.Select(d => d.Number is < 0 ? throw c.Fail($"shape has a negative entry {d.Number}") : d.ToDim())))];
        return [new TensorType(type, c.Input(0).Shape is { Rank: 1 } l && l[0].IsKnown ? DimMath.Unknowns((int)l[0].Value!.Value) : null)];
    }

    [ShapeRule("Range")]
    private static TensorType?[] Range(ShapeContext c)
    {
        c.SameElementType(0, 1); c.SameElementType(0, 2);
        for (int i = 0; i < 3; i++)
            if (c.Input(i).Shape is { } s && s.ElementCount != 1)
                throw c.Fail($"input {i} '{c.InputName(i)}' must be a scalar, got shape {s}");
        var (start, limit, delta) = (c.ConstantDoubles(0), c.ConstantDoubles(1), c.ConstantDoubles(2));
        if (start is null || limit is null || delta is null) return [c.Like(0, new Shape(Dim.Unknown))];
        if (delta[0] == 0) throw c.Fail("delta is 0; expected a non-zero step");
        // As the runtimes do: the difference in the element type, the division in double.
        double span = c.Input(0).ElementType == ElementType.Float32 ? (float)limit[0] - (float)start[0] : limit[0] - start[0];
        long n = (long)Math.Max(Math.Ceiling(span / delta[0]), 0);
        return [c.Like(0, new Shape(Dim.Of(n)))];
    }
}
