using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>MatMul (batched, broadcasting, 1-D operands), Gemm and Einsum.</summary>
internal static class LinearAlgebra
{
    // Y = A·B: dA = dY·Bᵀ, dB = Aᵀ·dY, summed over broadcast batch axes; 1-D operands are promoted as numpy does.
    [Gradient("MatMul")]
    static void MatMul(GradScope g)
    {
        Value a = g.Input(0), b = g.Input(1), dy = g.Dy;
        int? ra = a.Rank, rb = b.Rank;
        if (ra == 1 && rb == 1)
        {
            if (g.NeedsGrad(0)) g.InputGrad(0, dy * b);
            if (g.NeedsGrad(1)) g.InputGrad(1, dy * a);
            return;
        }
        if (rb == 2)
        {
            // A [..., M, K] (any rank, even unknown) times a matrix B [K, N]: dA = dY·Bᵀ has A's shape as is, and
            // dB = Σ over every leading axis = one Gemm of A and dY flattened to [−1, K] and [−1, N].
            if (g.NeedsGrad(0)) g.InputGrad(0, ra == 2 ? Op.Gemm(dy, b, transB: true) : Op.MatMul(dy, Op.Transpose(b, 1, 0)));
            if (g.NeedsGrad(1))
            {
                Value a2 = a, dy2 = dy;
                if (ra != 2)
                {
                    a2 = b.Shape![0].IsKnown ? Op.Reshape(a, -1, b.Shape[0].Value!.Value) : Op.Reshape(a, Op.Concat(0, g.Ints(-1), g.Dims(b, 0, 1)));
                    dy2 = b.Shape[1].IsKnown ? Op.Reshape(dy, -1, b.Shape[1].Value!.Value) : Op.Reshape(dy, Op.Concat(0, g.Ints(-1), g.Dims(b, 1, 2)));
                }
                g.InputGrad(1, Op.Gemm(a2, dy2, transA: true));
            }
            return;
        }
        ra ??= g.RankOf(a);
        rb ??= g.RankOf(b);
        if (g.NeedsGrad(0))
        {
            var da = ra == 1 ? Op.Squeeze(Op.MatMul(Op.Unsqueeze(dy, -2), T(b, rb.Value)), -2)
                : rb == 1 ? Op.MatMul(Op.Unsqueeze(dy, -1), Op.Unsqueeze(b, 0))
                : Op.MatMul(dy, T(b, rb.Value));
            g.InputGrad(0, g.Unbroadcast(da, a));
        }
        if (g.NeedsGrad(1))
        {
            var db = rb == 1 ? Op.Squeeze(Op.MatMul(T(a, ra.Value), Op.Unsqueeze(dy, -1)), -1)
                : ra == 1 ? Op.MatMul(Op.Unsqueeze(a, -1), Op.Unsqueeze(dy, -2))
                : Op.MatMul(T(a, ra.Value), dy);
            g.InputGrad(1, g.Unbroadcast(db, b));
        }
    }

    // Swaps the last two axes.
    private static Value T(Value v, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return Op.Transpose(v, perm);
    }

    // Y = α·A'·B' + β·C with A' = transA ? Aᵀ : A (likewise B'). Each gradient is itself one Gemm.
    [Gradient("Gemm")]
    static void Gemm(GradScope g)
    {
        Value a = g.Input(0), b = g.Input(1), dy = g.Dy;
        bool ta = g.AttrInt("transA", 0) != 0, tb = g.AttrInt("transB", 0) != 0;
        float alpha = g.AttrFloat("alpha", 1f), beta = g.AttrFloat("beta", 1f);
        if (g.NeedsGrad(0))
            g.InputGrad(0, ta ? Op.Gemm(b, dy, alpha: alpha, transA: tb, transB: true) : Op.Gemm(dy, b, alpha: alpha, transB: !tb));
        if (g.NeedsGrad(1))
            g.InputGrad(1, tb ? Op.Gemm(dy, a, alpha: alpha, transA: true, transB: ta) : Op.Gemm(a, dy, alpha: alpha, transA: !ta));
        if (g.HasInput(2) && g.NeedsGrad(2))
        {
            var dc = g.Unbroadcast(dy, g.Input(2));
            g.InputGrad(2, beta == 1f ? dc : dc * g.C(beta));
        }
    }

    // For explicit equations without ellipsis or repeated letters: the gradient of operand k is the einsum of the
    // output gradient with the other operands, producing operand k's subscripts.
    [Gradient("Einsum")]
    static void Einsum(GradScope g)
    {
        string eq = (g.AttrString("equation") ?? throw g.Fail("missing 'equation'")).Replace(" ", "");
        if (eq.Contains("...")) throw g.Fail($"equations with an ellipsis ('{eq}') have no gradient rule yet");
        string[] sides = eq.Split("->");
        string[] operands = sides[0].Split(',');
        string output = sides.Length > 1 ? sides[1]
            : new string(sides[0].Where(char.IsLetter).GroupBy(c => c).Where(gr => gr.Count() == 1).Select(gr => gr.Key).Order().ToArray());
        foreach (var s in operands.Append(output))
            if (s.Distinct().Count() != s.Length) throw g.Fail($"equation '{eq}' repeats a subscript within one term (diagonals) and has no gradient rule");
        for (int k = 0; k < operands.Length; k++)
        {
            if (!g.NeedsGrad(k)) continue;
            var others = Enumerable.Range(0, operands.Length).Where(j => j != k).ToList();
            var available = output + string.Concat(others.Select(j => operands[j]));
            var lost = operands[k].Where(c => !available.Contains(c)).ToList();
            if (lost.Count > 0)
                throw g.Fail($"subscript(s) '{string.Concat(lost)}' of operand {k} in '{eq}' are summed away within that operand alone; no gradient rule for that form");
            var gradEq = string.Join(",", new[] { output }.Concat(others.Select(j => operands[j]))) + "->" + operands[k];
            g.InputGrad(k, Op.Einsum(gradEq, [g.Dy, .. others.Select(g.Input)]));
        }
    }
}
