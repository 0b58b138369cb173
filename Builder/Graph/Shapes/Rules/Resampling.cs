using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Resize, Upsample, DepthToSpace and SpaceToDepth.</summary>
internal static class Resampling
{
    [ShapeRule("Upsample")]
    private static TensorType?[] Upsample(ShapeContext c)
    {
        // Scales are an attribute in opsets 7–8 and an input from 9.
        double[]? scales = c.Opset < 9 ? c.Node.GetFloats("scales")?.Select(f => (double)f).ToArray() : c.ConstantDoubles(1);
        return [c.Like(0, Scaled(c, c.Input(0).Shape, scales, null))];
    }

    [ShapeRule("DepthToSpace")]
    private static TensorType?[] DepthToSpace(ShapeContext c) => BlockRearrange(c, toSpace: true);

    [ShapeRule("SpaceToDepth")]
    private static TensorType?[] SpaceToDepth(ShapeContext c) => BlockRearrange(c, toSpace: false);

    [ShapeRule("Resize")]
    private static TensorType?[] Resize(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        // Opset 10: (X, scales). From 11: (X, roi, scales, sizes), scales and sizes exclusive.
        int scalesAt = c.Opset < 11 ? 1 : 2, sizesAt = 3;
        var axesAttr = c.Ints("axes");
        if (s is null) return [c.Like(0, null)];
        var axes = axesAttr is null ? Enumerable.Range(0, s.Rank).ToArray() : DimMath.Axes(c, axesAttr, s.Rank);
        bool hasSizes = c.Opset >= 11 && c.HasInput(sizesAt) && !(c.Input(sizesAt).Shape is { } z && z.ElementCount == 0);
        bool hasScales = c.HasInput(scalesAt) && !(c.Input(scalesAt).Shape is { } y && y.ElementCount == 0);
        if (hasSizes && hasScales && c.ConstantDoubles(scalesAt) is { Length: > 0 })
            throw c.Fail("both scales and sizes are given; expected exactly one of them");
        if (hasSizes)
        {
            var sizes = c.ConstantInts(sizesAt);
            var dims = s.Dims;
            if (sizes is not null && sizes.Length != axes.Length)
                throw c.Fail($"sizes [{string.Join(", ", sizes)}] has {sizes.Length} entries, expected {axes.Length} (one per resized axis of {s})");
            // keep_aspect_ratio_policy other than stretch (opset 18) rescales the sizes at run time.
            bool stretch = c.String("keep_aspect_ratio_policy", "stretch") == "stretch";
            for (int i = 0; i < axes.Length; i++) dims[axes[i]] = sizes is not null && stretch ? Dim.Of(sizes[i]) : Dim.Unknown;
            return [c.Like(0, new Shape(dims))];
        }
        if (!hasScales) throw c.Fail("neither scales nor sizes is given; expected one of them");
        return [c.Like(0, Scaled(c, s, c.ConstantDoubles(scalesAt), axes))];
    }

    /// <summary>floor(size · scale) per axis (ONNX's rule, the region of interest being the whole axis).</summary>
    private static Shape? Scaled(ShapeContext c, Shape? s, double[]? scales, int[]? axes)
    {
        if (s is null) return null;
        axes ??= Enumerable.Range(0, s.Rank).ToArray();
        var dims = s.Dims;
        if (scales is null) { foreach (var a in axes) dims[a] = Dim.Unknown; return new Shape(dims); }
        if (scales.Length != axes.Length)
            throw c.Fail($"scales [{string.Join(", ", scales)}] has {scales.Length} entries, expected {axes.Length} (one per resized axis of {s})");
        for (int i = 0; i < axes.Length; i++)
        {
            if (scales[i] <= 0) throw c.Fail($"scale {scales[i]} for axis {axes[i]} must be > 0");
            Dim d = s[axes[i]];
            // The scales are float32 in the model; multiply in float32 as the runtimes do.
            dims[axes[i]] = d.IsKnown ? Dim.Of((long)Math.Floor((float)scales[i] * (float)d.Value!.Value)) : scales[i] == 1 ? d : Dim.Unknown;
        }
        return new Shape(dims);
    }

    private static TensorType?[] BlockRearrange(ShapeContext c, bool toSpace)
    {
        var s = c.Input(0).Shape;
        long b = c.Int("blocksize", 0);
        if (b < 1) throw c.Fail("attribute 'blocksize' is required and must be ≥ 1");
        if (s is null) return [c.Like(0, DimMath.Unknowns(4))];
        if (s.Rank != 4) throw c.Fail($"input {s} must be [N, C, H, W]");
        if (toSpace)
        {
            if (s[1].IsKnown && s[1].Value % (b * b) != 0) throw c.Fail($"input {s} has {s[1]} channels, expected a multiple of blocksize² = {b * b}");
            return [c.Like(0, new Shape(s[0], s[1].IsKnown ? Dim.Of(s[1].Value!.Value / (b * b)) : Dim.Unknown, DimMath.Mul(s[2], b), DimMath.Mul(s[3], b)))];
        }
        foreach (int i in new[] { 2, 3 })
            if (s[i].IsKnown && s[i].Value % b != 0) throw c.Fail($"axis {i} of input {s} (size {s[i]}) is not a multiple of blocksize {b}");
        Dim Div(Dim d) => d.IsKnown ? Dim.Of(d.Value!.Value / b) : b == 1 ? d : Dim.Unknown;
        return [c.Like(0, new Shape(s[0], DimMath.Mul(s[1], b * b), Div(s[2]), Div(s[3])))];
    }
}
