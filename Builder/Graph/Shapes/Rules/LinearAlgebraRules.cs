using OnnxKit.IR;

namespace OnnxKit.Shapes;

/// <summary>MatMul and Gemm.</summary>
internal static class LinearAlgebraRules
{
    public static void Register()
    {
        ShapeInference.Register("MatMul", MatMul);
        ShapeInference.Register("Gemm", Gemm);
    }

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
}
