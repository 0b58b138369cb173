using OnnxKit.IR;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>Matrix product with numpy semantics (batched, broadcasting over leading dimensions).</summary>
    public static Value MatMul(Value a, Value b) => Binary("MatMul", a, b);

    /// <summary>α·op(A)·op(B) + β·C for 2-D A and B (C optional, broadcast to the result).</summary>
    public static Value Gemm(Value a, Value b, Value? c = null, float alpha = 1f, float beta = 1f, bool transA = false, bool transB = false)
    {
        var attrs = new List<Schema.AttributeProto>();
        if (alpha != 1f) attrs.Add(Attr.Float("alpha", alpha));
        if (beta != 1f) attrs.Add(Attr.Float("beta", beta));
        if (transA) attrs.Add(Attr.Int("transA", 1));
        if (transB) attrs.Add(Attr.Int("transB", 1));
        return B(a).Node("Gemm", c is null ? [a, b] : [a, b, c], 1, attrs)[0];
    }

    /// <summary>Einstein summation, e.g. <c>Einsum("bij,bjk->bik", a, b)</c>.</summary>
    public static Value Einsum(string equation, params Value[] inputs) =>
        B(inputs[0]).Node1("Einsum", inputs, Attr.String("equation", equation));
}
