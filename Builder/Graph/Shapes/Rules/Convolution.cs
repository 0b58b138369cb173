using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Conv, ConvTranspose and the pooling operators: [N, C, spatial…] in, [N, C′, spatial′…] out.</summary>
internal static class Convolution
{
    [ShapeRule("MaxPool")]
    private static TensorType?[] MaxPool(ShapeContext c) => Pool(c, withIndices: true);

    [ShapeRule("AveragePool", "LpPool")]
    private static TensorType?[] AveragePool(ShapeContext c) => Pool(c, withIndices: false);

    private static ConvWindow ReadWindow(ShapeContext c, int n, long[]? kernel) => ConvWindow.Read(c.Node, kernel, c.Fail, n);

    /// <summary>Output size of spatial axis <paramref name="i"/> of a convolution or pool over input size <paramref name="input"/>.</summary>
    private static Dim SpatialOut(ShapeContext c, ConvWindow w, int i, Dim input, int n)
    {
        long s = w.Strides[i], span = w.Span(i);
        if (!input.IsKnown)
        {
            // A symbolic size survives only a window that keeps every position: stride 1 and padding that makes up for the span.
            bool keeps = s == 1 && (w.PadsToSame || (w.AutoPad == "VALID" ? span == 1 : w.Pads[i] + w.Pads[i + n] == span - 1));
            return keeps ? input : Dim.Unknown;
        }
        long o = w.OutputSize(i, input.Value!.Value);
        if (o >= 1) return Dim.Of(o);
        if (w.AutoPad == "VALID") throw c.Fail($"spatial axis {i} of size {input} is smaller than the window {span}; expected at least {span}");
        throw c.Fail($"spatial axis {i} of size {input} (padded {input.Value + w.Pads[i] + w.Pads[i + n]}) is smaller than the window {span}; expected at least {span}");
    }

    private static int SpatialRank(ShapeContext c, Shape? x, Shape? w, string what)
    {
        if (x is not null && x.Rank < 3) throw c.Fail($"input X {x} must be [N, C, spatial…] (rank ≥ 3) for {what}");
        if (x is not null && w is not null && w.Rank != x.Rank)
            throw c.Fail($"weight W {w} has rank {w.Rank}, expected the rank of X {x} ({x.Rank})");
        return x?.Rank - 2 ?? w?.Rank - 2 ?? c.Ints("kernel_shape")?.Length ?? -1;
    }

    private static long[]? KernelFromWeight(ShapeContext c, Shape? w, int n)
    {
        var attr = c.Ints("kernel_shape");
        if (attr is not null || w is null) return attr;
        // An unknown kernel size makes every output size that depends on it unknown: mark it with 0.
        return Enumerable.Range(2, n).Select(i => w[i].Value ?? 0).ToArray();
    }

    // Both convolutions: one element type, the spatial rank (−1 when unknown, then nothing else is read) and group ≥ 1.
    private static (Shape? X, Shape? W, int N, long Group) Operands(ShapeContext c, string op)
    {
        c.SameElementType(0, 1);
        Shape? x = c.Input(0).Shape, w = c.Input(1).Shape;
        int n = SpatialRank(c, x, w, op);
        if (n < 0) return (x, w, n, 0);
        long group = c.Int("group", 1);
        if (group < 1) throw c.Fail($"group {group} must be ≥ 1");
        return (x, w, n, group);
    }

    [ShapeRule("Conv")]
    private static TensorType?[] Conv(ShapeContext c)
    {
        var (x, w, n, group) = Operands(c, "Conv");
        if (n < 0) return [c.Like(0, null)];
        Dim m = w?[0] ?? Dim.Unknown;
        if (x is not null && w is not null && x[1].IsKnown && w[1].IsKnown && x[1].Value != w[1].Value * group)
            throw c.Fail($"channel mismatch: X {x} has {x[1]} channels but weight W {w} expects {w[1]}·group({group}) = {w[1].Value * group}");
        if (m.IsKnown && m.Value % group != 0) throw c.Fail($"weight W {w} has {m} output channels, expected a multiple of group {group}");
        if (c.HasInput(2) && c.Input(2).Shape is { } b && (b.Rank != 1 || !b[0].Compatible(m)))
            throw c.Fail($"bias B {b} must be [{m}] (one per output channel of W {w})");
        var dims = new List<Dim> { x?[0] ?? Dim.Unknown, m };
        var kernel = KernelFromWeight(c, w, n);
        if (kernel is null || x is null) { dims.AddRange(DimMath.Unknowns(n)); return [c.Like(0, new Shape(dims))]; }
        if (w is not null && c.Ints("kernel_shape") is { } ks)
            for (int i = 0; i < n; i++)
                if (w[i + 2].IsKnown && w[i + 2].Value != ks[i])
                    throw c.Fail($"kernel_shape [{string.Join(", ", ks)}] does not match weight W {w}");
        var win = ReadWindow(c, n, kernel);
        for (int i = 0; i < n; i++) dims.Add(kernel[i] == 0 ? Dim.Unknown : SpatialOut(c, win, i, x[i + 2], n));
        return [c.Like(0, new Shape(dims))];
    }

    [ShapeRule("ConvTranspose")]
    private static TensorType?[] ConvTranspose(ShapeContext c)
    {
        var (x, w, n, group) = Operands(c, "ConvTranspose");
        if (n < 0) return [c.Like(0, null)];
        if (x is not null && w is not null && !x[1].Compatible(w[0]))
            throw c.Fail($"channel mismatch: X {x} has {x[1]} channels but ConvTranspose weight W {w} expects {w[0]} (W is [C, M/group, kernel…])");
        Dim m = w is null ? Dim.Unknown : DimMath.Mul(w[1], group);
        if (c.HasInput(2) && c.Input(2).Shape is { } b && (b.Rank != 1 || !b[0].Compatible(m)))
            throw c.Fail($"bias B {b} must be [{m}] (one per output channel)");
        var dims = new List<Dim> { x?[0] ?? Dim.Unknown, m };
        if (c.Ints("output_shape") is { } outShape)
        {
            // Older exporters give the full [N, C, spatial…]; the spatial sizes are the last n entries either way.
            if (outShape.Length != n && outShape.Length != n + 2)
                throw c.Fail($"output_shape [{string.Join(", ", outShape)}] has {outShape.Length} entries, expected {n}");
            dims.AddRange(outShape.Skip(outShape.Length - n).Select(Dim.Of));
            return [c.Like(0, new Shape(dims))];
        }
        var kernel = KernelFromWeight(c, w, n);
        if (kernel is null || x is null) { dims.AddRange(DimMath.Unknowns(n)); return [c.Like(0, new Shape(dims))]; }
        var win = ReadWindow(c, n, kernel);
        var outPad = DimMath.IntsOr(c, "output_padding", n, 0);
        for (int i = 0; i < n; i++)
        {
            Dim input = x[i + 2];
            if (kernel[i] == 0 || !input.IsKnown) { dims.Add(Dim.Unknown); continue; }
            long o = win.TransposedOutputSize(i, input.Value!.Value, outPad[i]);
            if (o < 1) throw c.Fail($"spatial axis {i} would have size {o}; expected pads smaller than the output");
            dims.Add(Dim.Of(o));
        }
        return [c.Like(0, new Shape(dims))];
    }

    private static TensorType?[] Pool(ShapeContext c, bool withIndices)
    {
        var x = c.Input(0).Shape;
        var kernel = c.Ints("kernel_shape") ?? throw c.Fail("attribute 'kernel_shape' is required");
        if (x is not null && x.Rank != kernel.Length + 2)
            throw c.Fail($"input X {x} must be [N, C, spatial…] with {kernel.Length} spatial axes (kernel_shape [{string.Join(", ", kernel)}])");
        Shape? y = null;
        if (x is not null)
        {
            var win = ReadWindow(c, kernel.Length, kernel);
            var dims = new List<Dim> { x[0], x[1] };
            for (int i = 0; i < kernel.Length; i++) dims.Add(SpatialOut(c, win, i, x[i + 2], kernel.Length));
            y = new Shape(dims);
        }
        return withIndices ? [c.Like(0, y), new TensorType(ElementType.Int64, y)] : [c.Like(0, y)];
    }

    [ShapeRule("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")]
    private static TensorType?[] GlobalPool(ShapeContext c)
    {
        var x = c.Input(0).Shape;
        if (x is null) return [c.Like(0, null)];
        if (x.Rank < 3) throw c.Fail($"input X {x} must be [N, C, spatial…] (rank ≥ 3)");
        return [c.Like(0, new Shape(new[] { x[0], x[1] }.Concat(Enumerable.Repeat(Dim.Of(1), x.Rank - 2))))];
    }
}
