using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>Gather, GatherElements, GatherND, ScatterElements/Scatter, ScatterND, Compress, OneHot, NonZero.</summary>
internal static class Indexing
{
    [ShapeRule("GatherElements")]
    private static TensorType?[] GatherElements(ShapeContext c)
    {
        CheckIndices(c, 1);
        var (data, idx) = (c.Input(0).Shape, c.Input(1).Shape);
        if (data is not null && idx is not null && data.Rank != idx.Rank)
            throw c.Fail($"indices {idx} must have the rank of data {data} ({data.Rank})");
        if (data is not null) c.Axis(c.Int("axis", 0), data.Rank);
        return [c.Like(0, idx)];
    }

    [ShapeRule("Compress")]
    private static TensorType?[] Compress(ShapeContext c)
    {
        var s = c.Input(0).Shape;
        if (c.Node.Attribute("axis") is null) return [c.Like(0, new Shape(Dim.Unknown))];
        if (s is null) return [c.Like(0, null)];
        var dims = s.Dims;
        dims[c.Axis(c.Int("axis", 0), s.Rank)] = Dim.Unknown;
        return [c.Like(0, new Shape(dims))];
    }

    [ShapeRule("NonZero")]
    private static TensorType?[] NonZero(ShapeContext c) =>
        [new TensorType(ElementType.Int64, new Shape(c.Input(0).Shape is { } s ? Dim.Of(s.Rank) : Dim.Unknown, Dim.Unknown))];

    private static void CheckIndices(ShapeContext c, int i)
    {
        var t = c.Input(i).ElementType;
        if (!DimMath.IsIndexType(t)) throw c.Fail($"indices '{c.InputName(i)}' must be int32 or int64, got {t.OnnxName()}");
    }

    [ShapeRule("Gather")]
    private static TensorType?[] Gather(ShapeContext c)
    {
        CheckIndices(c, 1);
        var (data, idx) = (c.Input(0).Shape, c.Input(1).Shape);
        if (data is null || idx is null) return [c.Like(0, null)];
        if (data.Rank == 0) throw c.Fail("data must have rank ≥ 1");
        int axis = c.Axis(c.Int("axis", 0), data.Rank);
        if (c.ConstantInts(1) is { } values && data[axis].IsKnown)
            foreach (var v in values)
                if (v < -data[axis].Value || v >= data[axis].Value)
                    throw c.Fail($"index {v} is out of range for axis {axis} of {data} (expected -{data[axis]}..{data[axis].Value - 1})");
        return [c.Like(0, new Shape(data.Take(axis).Concat(idx).Concat(data.Skip(axis + 1))))];
    }

    [ShapeRule("GatherND")]
    private static TensorType?[] GatherND(ShapeContext c)
    {
        CheckIndices(c, 1);
        var (data, idx) = (c.Input(0).Shape, c.Input(1).Shape);
        if (data is null || idx is null) return [c.Like(0, null)];
        int b = (int)c.Int("batch_dims", 0);
        if (idx.Rank < 1) throw c.Fail($"indices {idx} must have rank ≥ 1");
        if (b < 0 || b >= Math.Min(data.Rank, idx.Rank)) throw c.Fail($"batch_dims {b} must be below the ranks of data {data} and indices {idx}");
        for (int i = 0; i < b; i++)
            if (!data[i].Compatible(idx[i])) throw c.Fail($"batch axis {i} differs: data {data}, indices {idx}; expected the same leading {b} sizes");
        if (!idx[^1].IsKnown) return [c.Like(0, null)];
        long last = idx[^1].Value!.Value;
        if (last < 1 || last > data.Rank - b)
            throw c.Fail($"the last axis of indices {idx} is {last}; expected 1..{data.Rank - b} (rank of data {data} minus batch_dims {b})");
        return [c.Like(0, new Shape(idx.Take(idx.Rank - 1).Concat(data.Skip(b + (int)last))))];
    }

    [ShapeRule("ScatterElements", "Scatter")]
    private static TensorType?[] ScatterElements(ShapeContext c)
    {
        CheckIndices(c, 1);
        c.SameElementType(0, 2);
        var (data, idx, upd) = (c.Input(0).Shape, c.Input(1).Shape, c.Input(2).Shape);
        if (data is not null && idx is not null && data.Rank != idx.Rank)
            throw c.Fail($"indices {idx} must have the rank of data {data} ({data.Rank})");
        if (idx is not null && upd is not null && (idx.Rank != upd.Rank || idx.Zip(upd).Any(p => !p.First.Compatible(p.Second))))
            throw c.Fail($"updates {upd} must have the shape of indices {idx}");
        if (data is not null) c.Axis(c.Int("axis", 0), data.Rank);
        return [c.Input(0)];
    }

    [ShapeRule("ScatterND")]
    private static TensorType?[] ScatterND(ShapeContext c)
    {
        CheckIndices(c, 1);
        c.SameElementType(0, 2);
        var (data, idx, upd) = (c.Input(0).Shape, c.Input(1).Shape, c.Input(2).Shape);
        if (data is not null && idx is not null && upd is not null && idx.Rank >= 1 && idx[^1].IsKnown)
        {
            int last = (int)idx[^1].Value!.Value;
            if (last > data.Rank) throw c.Fail($"the last axis of indices {idx} is {last}, expected ≤ the rank of data {data}");
            var expected = new Shape(idx.Take(idx.Rank - 1).Concat(data.Skip(last)));
            if (expected.Rank != upd.Rank || expected.Zip(upd).Any(p => !p.First.Compatible(p.Second)))
                throw c.Fail($"updates {upd} must have shape {expected} (indices {idx}[:-1] followed by data {data}[{last}:])");
        }
        return [c.Input(0)];
    }

    [ShapeRule("OneHot")]
    private static TensorType?[] OneHot(ShapeContext c)
    {
        var idx = c.Input(0).Shape;
        var values = c.Input(2);
        if (values.Shape is { } vs && !(vs.Rank == 1 && vs[0].Compatible(2)))
            throw c.Fail($"values must be [off, on] (shape [2]), got {vs}");
        var depth = c.ConstantDoubles(1);
        if (depth is not null && depth.Length != 1) throw c.Fail($"depth must hold one value, got {depth.Length}");
        if (idx is null) return [new TensorType(values.ElementType, null)];
        int axis = c.Axis(c.Int("axis", -1), idx.Rank + 1);
        var dims = idx.Dims.ToList();
        Dim d = depth is null ? Dim.Unknown : depth[0] >= 1 ? Dim.Of((long)depth[0]) : throw c.Fail($"depth {depth[0]} must be ≥ 1");
        dims.Insert(axis, d);
        return [new TensorType(values.ElementType, new Shape(dims))];
    }
}
