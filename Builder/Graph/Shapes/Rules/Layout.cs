using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Operators that reshape, move, join, cut or grow tensors: Reshape, Flatten, Transpose, Concat, Split, Slice, Squeeze, Unsqueeze, Expand, Tile, Pad.</summary>
internal static class Layout
{
    [ShapeRule("Flatten")]
    private static TensorType?[] Flatten(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        if (s is null) return [c.Like(0, new Shape(Dim.Unknown, Dim.Unknown))];
        // Axis may be -r..r (r itself puts everything in the first dimension); negatives count from the back.
        long axisAttr = c.Int("axis", 1);
        if (axisAttr < -s.Rank || axisAttr > s.Rank) throw c.Fail($"axis {axisAttr} is out of range for rank {s.Rank} (expected -{s.Rank}..{s.Rank})");
        int axis = (int)(axisAttr < 0 ? axisAttr + s.Rank : axisAttr);
        return [c.Like(0, new Shape(Product(s.Take(axis)), Product(s.Skip(axis))))];
    }

    /// <summary>Product of dimensions: known when all are known, the symbol itself for a single symbolic dimension.</summary>
    internal static Dim Product(IEnumerable<Dim> dims)
    {
        var list = dims.ToList();
        if (list.All(d => d.IsKnown)) return list.Aggregate(1L, (a, d) => a * d.Value!.Value);
        var unknown = list.Where(d => !(d.IsKnown && d.Value == 1)).ToList();
        return unknown.Count == 1 ? unknown[0] : Dim.Unknown;
    }

    [ShapeRule("Reshape")]
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

    /// <summary>Axes given as an input from <paramref name="inputFrom"/> on and as an attribute before: (known, axes).</summary>
    private static (bool Known, long[]? Axes) AxesArgument(ShapeContext c, int inputFrom, int index = 1, string attribute = "axes")
    {
        if (c.Opset < inputFrom) return (true, c.Ints(attribute));
        if (!c.HasInput(index)) return (true, null);
        var v = c.ConstantInts(index);
        return (v is not null, v);
    }

    [ShapeRule("Transpose")]
    private static TensorType?[] Transpose(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        var perm = c.Ints("perm");
        if (s is null) return [c.Like(0, perm is null ? null : DimMath.Unknowns(perm.Length))];
        if (perm is null) return [c.Like(0, new Shape(s.Reverse()))];
        if (perm.Length != s.Rank || perm.OrderBy(p => p).Where((p, i) => p != i).Any())
            throw c.Fail($"perm [{string.Join(", ", perm)}] is not a permutation of the {s.Rank} axes of {s}; expected each of 0..{s.Rank - 1} once");
        return [c.Like(0, new Shape(perm.Select(p => s[(int)p])))];
    }

    [ShapeRule("Concat")]
    private static TensorType?[] Concat(ShapeContext c)
    {
        if (c.InputCount == 0) throw c.Fail("Concat needs at least one input");
        for (int i = 1; i < c.InputCount; i++) c.SameElementType(0, i);
        var shapes = Enumerable.Range(0, c.InputCount).Select(i => c.Input(i).Shape).ToList();
        var first = shapes.FirstOrDefault(s => s is not null);
        if (first is null) return [c.Like(0, null)];
        if (c.Node.Attribute("axis") is null && c.Opset >= 4) throw c.Fail("attribute 'axis' is required");
        int axis = c.Axis(c.Int("axis", 1), first.Rank);
        var dims = first.Dims;
        for (int i = 0; i < shapes.Count; i++)
        {
            var s = shapes[i];
            if (s is null) continue;
            if (s.Rank != first.Rank)
                throw c.Fail($"input {i} '{c.InputName(i)}' has rank {s.Rank} ({s}), expected rank {first.Rank} like {first}");
            for (int k = 0; k < dims.Length; k++)
                if (k != axis)
                    dims[k] = DimMath.Merge(dims[k], s[k]) ?? throw c.Fail($"input {i} '{c.InputName(i)}' {s} differs from {first} in axis {k}; all axes but the concatenation axis {axis} must match");
        }
        dims[axis] = shapes.Any(s => s is null) ? Dim.Unknown : DimMath.Sum(shapes.Select(s => s![axis]));
        return [c.Like(0, new Shape(dims))];
    }

    [ShapeRule("Split")]
    private static TensorType?[] Split(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        int n = c.Node.Outputs.Count;
        if (s is null) return Enumerable.Repeat<TensorType?>(c.Like(0, null), n).ToArray();
        int axis = c.Axis(c.Int("axis", 0), s.Rank);
        Dim d = s[axis];
        long[]? sizes;
        bool known = true;
        if (c.Opset >= 13) { sizes = c.HasInput(1) ? c.ConstantInts(1) : null; known = !c.HasInput(1) || sizes is not null; }
        else sizes = c.Ints("split");
        var parts = new Dim[n];
        if (!known) Array.Fill(parts, Dim.Unknown);
        else if (sizes is not null)
        {
            if (sizes.Length != n) throw c.Fail($"split [{string.Join(", ", sizes)}] has {sizes.Length} entries, expected one per output ({n})");
            if (sizes.Any(x => x < 0)) throw c.Fail($"split [{string.Join(", ", sizes)}] has a negative size");
            if (d.IsKnown && sizes.Sum() != d.Value)
                throw c.Fail($"split [{string.Join(", ", sizes)}] sums to {sizes.Sum()}, expected the size {d} of axis {axis} of {s}");
            for (int i = 0; i < n; i++) parts[i] = Dim.Of(sizes[i]);
        }
        else
        {
            long numOutputs = c.Opset >= 18 ? c.Int("num_outputs", n) : n;
            if (numOutputs != n) throw c.Fail($"num_outputs {numOutputs} differs from the {n} outputs of the node");
            if (d.IsKnown)
            {
                long size = d.Value!.Value;
                // num_outputs (opset 18) allows an uneven split: ceil-sized parts, the last one smaller.
                bool unevenAllowed = c.Opset >= 18 && c.Node.Attribute("num_outputs") is not null;
                if (size % n != 0 && !unevenAllowed)
                    throw c.Fail($"axis {axis} of {s} (size {size}) cannot be split into {n} equal parts");
                long chunk = DimMath.CeilDiv(size, n);
                for (int i = 0; i < n; i++) parts[i] = Dim.Of(Math.Max(0, Math.Min(chunk, size - i * chunk)));
            }
            else Array.Fill(parts, n == 1 ? d : Dim.Unknown);
        }
        return parts.Select(p => { var dims = s.Dims; dims[axis] = p; return (TensorType?)c.Like(0, new Shape(dims)); }).ToArray();
    }

    [ShapeRule("Slice")]
    private static TensorType?[] Slice(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        if (s is null) return [c.Like(0, null)];
        long[]? starts, ends, axes, steps;
        if (c.Opset < 10)
        {
            starts = c.Ints("starts") ?? throw c.Fail("attribute 'starts' is required");
            ends = c.Ints("ends") ?? throw c.Fail("attribute 'ends' is required");
            axes = c.Ints("axes"); steps = null;
        }
        else
        {
            starts = c.ConstantInts(1); ends = c.ConstantInts(2);
            axes = c.HasInput(3) ? c.ConstantInts(3) : null;
            steps = c.HasInput(4) ? c.ConstantInts(4) : null;
            // Axes computed at run time: any axis may be cut.
            if (c.HasInput(3) && axes is null) return [c.Like(0, DimMath.Unknowns(s.Rank))];
            if (c.HasInput(4) && steps is null || starts is null || ends is null)
            {
                var cut = axes is not null ? DimMath.Axes(c, axes, s.Rank) : Enumerable.Range(0, (int)(c.Input(1).Shape is { Rank: 1 } l && l[0].IsKnown ? l[0].Value!.Value : s.Rank)).ToArray();
                var dd = s.Dims;
                foreach (var a in cut) dd[a] = Dim.Unknown;
                return [c.Like(0, new Shape(dd))];
            }
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw c.Fail($"starts, ends, axes and steps must have the same length, got {starts.Length}, {ends.Length}, {axes.Length}, {steps.Length}");
        var ax = DimMath.Axes(c, axes, s.Rank);
        var dims = s.Dims;
        for (int i = 0; i < ax.Length; i++)
        {
            long step = steps[i];
            if (step == 0) throw c.Fail($"step for axis {ax[i]} is 0; expected a non-zero step");
            dims[ax[i]] = SliceLength(s[ax[i]], starts[i], ends[i], step);
        }
        return [c.Like(0, new Shape(dims))];
    }

    /// <summary>The length of start:end:step on an axis of size <paramref name="d"/>, with ONNX's clamping.</summary>
    private static Dim SliceLength(Dim d, long start, long end, long step)
    {
        const long Huge = int.MaxValue; // exporters write INT_MAX or INT64_MAX for "to the end"
        if (!d.IsKnown)
        {
            // A symbolic axis keeps its symbol only where the slice provably takes all of it.
            bool whole = step == 1 && start == 0 && end >= Huge || step == -1 && start >= Huge && end <= -Huge;
            return whole ? d : Dim.Unknown;
        }
        long n = d.Value!.Value;
        if (n == 0) return Dim.Of(0);
        if (start < 0) start += n;
        if (end < 0) end += n;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, n); end = Math.Clamp(end, 0, n);
            return Dim.Of(end <= start ? 0 : DimMath.CeilDiv(end - start, step));
        }
        start = Math.Clamp(start, 0, n - 1); end = Math.Clamp(end, -1, n - 1);
        return Dim.Of(start <= end ? 0 : DimMath.CeilDiv(start - end, -step));
    }

    [ShapeRule("Squeeze")]
    private static TensorType?[] Squeeze(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        var (known, axes) = AxesArgument(c, 13);
        if (s is null) return [c.Like(0, null)];
        if (!known) return [c.Like(0, c.Input(1).Shape is { Rank: 1 } a && a[0].IsKnown ? DimMath.Unknowns(s.Rank - (int)a[0].Value!.Value) : null)];
        if (axes is null || axes.Length == 0)
        {
            // No axes: every size-1 axis goes; a symbolic axis might be 1, so the rank is then unknown.
            if (s.Any(d => !d.IsKnown)) return [c.Like(0, null)];
            return [c.Like(0, new Shape(s.Where(d => d.Value != 1)))];
        }
        var ax = DimMath.Axes(c, axes, s.Rank);
        foreach (var a in ax)
            if (s[a].IsKnown && s[a].Value != 1)
                throw c.Fail($"cannot squeeze axis {a} of {s}: its size is {s[a]}, expected 1");
        return [c.Like(0, new Shape(s.Where((d, i) => !ax.Contains(i))))];
    }

    [ShapeRule("Unsqueeze")]
    private static TensorType?[] Unsqueeze(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        var (known, axes) = AxesArgument(c, 13);
        if (known && axes is null) throw c.Fail("axes are required");
        if (s is null) return [c.Like(0, null)];
        if (!known) return [c.Like(0, c.Input(1).Shape is { Rank: 1 } a && a[0].IsKnown ? DimMath.Unknowns(s.Rank + (int)a[0].Value!.Value) : null)];
        int rank = s.Rank + axes!.Length;
        var ax = DimMath.Axes(c, axes, rank).ToHashSet();
        var dims = new List<Dim>();
        int next = 0;
        for (int i = 0; i < rank; i++) dims.Add(ax.Contains(i) ? Dim.Of(1) : s[next++]);
        return [c.Like(0, new Shape(dims))];
    }

    [ShapeRule("Expand")]
    private static TensorType?[] Expand(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        // Constant target, or one carried from Shape ops (Expand(x, Shape(y))).
        var target = c.ShapeValue(1);
        Shape? t = target is not null
            ? new Shape(target.Select(v => v.Number is < 0 ? throw c.Fail($"target shape has a negative entry {v.Number}") : v.ToDim()))
            : c.Input(1).Shape is { Rank: 1 } l && l[0].IsKnown ? DimMath.Unknowns((int)l[0].Value!.Value) : null;
        if (t is null || s is null) return [c.Like(0, null)];
        if (target is null)
        {
            // Unknown target sizes: where the target is 1 the input's size wins, so nothing is known except rank.
            int rank = Math.Max(s.Rank, t.Rank);
            return [c.Like(0, new Shape(Enumerable.Range(0, rank).Select(i => i - (rank - s.Rank) is var k && k >= 0 && s[k].IsKnown && s[k].Value != 1 ? s[k] : Dim.Unknown)))];
        }
        return [c.Like(0, c.Broadcast(s, t))];
    }

    [ShapeRule("Tile")]
    private static TensorType?[] Tile(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        var repeats = c.ConstantInts(1);
        if (s is null) return [c.Like(0, null)];
        if (repeats is null) return [c.Like(0, new Shape(s.Select(d => d.IsKnown && d.Value == 0 ? d : Dim.Unknown)))];
        if (repeats.Length != s.Rank) throw c.Fail($"repeats [{string.Join(", ", repeats)}] has {repeats.Length} entries, expected one per axis of {s} ({s.Rank})");
        if (repeats.Any(r => r < 0)) throw c.Fail($"repeats [{string.Join(", ", repeats)}] must be ≥ 0");
        return [c.Like(0, new Shape(s.Select((d, i) => repeats[i] == 0 ? Dim.Of(0) : DimMath.Mul(d, repeats[i]))))];
    }

    [ShapeRule("Pad")]
    private static TensorType?[] Pad(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        string mode = c.String("mode", "constant")!;
        if (mode is not ("constant" or "reflect" or "edge" or "wrap")) throw c.Fail($"mode '{mode}' is not one of constant, reflect, edge, wrap");
        long[]? pads = c.Opset < 11 ? c.Ints("pads") ?? throw c.Fail("attribute 'pads' is required") : c.ConstantInts(1);
        if (s is null) return [c.Like(0, null)];
        if (pads is null) return [c.Like(0, DimMath.Unknowns(s.Rank))];
        int[] axes = c.Opset >= 18 && c.HasInput(3)
            ? (c.ConstantInts(3) is { } a ? DimMath.Axes(c, a, s.Rank) : null) ?? Enumerable.Range(0, s.Rank).ToArray()
            : Enumerable.Range(0, s.Rank).ToArray();
        if (c.Opset >= 18 && c.HasInput(3) && c.ConstantInts(3) is null) return [c.Like(0, DimMath.Unknowns(s.Rank))];
        if (pads.Length != 2 * axes.Length)
            throw c.Fail($"pads [{string.Join(", ", pads)}] has {pads.Length} entries, expected {2 * axes.Length} (begin then end for each of {axes.Length} axes of {s})");
        var dims = s.Dims;
        for (int i = 0; i < axes.Length; i++)
        {
            Dim d = s[axes[i]];
            long grow = pads[i] + pads[i + axes.Length];
            if (d.IsKnown && d.Value + grow < 0) throw c.Fail($"pads [{string.Join(", ", pads)}] remove more than the {d} entries of axis {axes[i]} of {s}");
            dims[axes[i]] = DimMath.Add(d, grow);
        }
        return [c.Like(0, new Shape(dims))];
    }
}
