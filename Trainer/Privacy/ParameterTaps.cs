using OnnxKit.IR;
using OnnxKit.Shapes;
using OnnxKit.Training.Autodiff.Rules;

namespace OnnxKit.Training.Privacy;

/// <summary>
/// Where a parameter enters the forward graph, and how its per-example gradients follow from the gradient δ of the loss
/// with respect to that node's output (<see cref="Output"/>, batch first). A tap gives the squared norm of every
/// example's gradient ([B]) and the sum of the examples' gradients each scaled by a per-example coefficient, in the
/// shape of the value the node reads (the parameter, or a transposed or sliced view of it).
/// </summary>
internal abstract class ParameterTap(Value output)
{
    /// <summary>The node output whose gradient the tap reads.</summary>
    public Value Output { get; } = output;

    /// <summary>‖gᵢ‖² for every example i ([B]), gᵢ the gradient of the parameter from δ's row i.</summary>
    public abstract Value SquaredNorms(Value delta);

    /// <summary>Σᵢ coefᵢ·gᵢ, coef of shape [B].</summary>
    public abstract Value WeightedSum(Value delta, Value coef);

    /// <summary><paramref name="coef"/> [B] reshaped to broadcast along axis 0 of a tensor of rank <paramref name="rank"/>.</summary>
    protected static Value PerRow(Value coef, int rank) => Op.Reshape(coef, [-1, .. Enumerable.Repeat(1L, rank - 1)]);

    protected static long[] Range(int from, int to) => Enumerable.Range(from, Math.Max(0, to - from)).Select(i => (long)i).ToArray();

    protected static long Static(Value v, int axis, string what) =>
        v.Shape is { } s && s.Rank > (axis < 0 ? -axis - 1 : axis) && s[axis].IsKnown ? s[axis].Value!.Value
        : throw new NotSupportedException($"DP-SGD: {what}: the size of axis {axis} of '{v.Name}' must be known when the graph is built, got {v.Type}");
}

/// <summary>
/// The generic path: the per-example gradients [B, …shape] are formed explicitly (a parameter added to, subtracted from
/// or multiplying a batch tensor, biases, LayerNorm's scale and shift), then squared and summed, or weighted and summed
/// over the batch. Costs one tensor of B times the parameter's size, fine for the small parameters that take it.
/// </summary>
internal sealed class MaterializedTap(Value output, Func<Value, Value> perExample, long[] perExampleShape, long[]? shape = null) : ParameterTap(output)
{
    private Value? _delta, _perExample;

    private Value PerExample(Value delta)
    {
        if (!ReferenceEquals(delta, _delta)) { _delta = delta; _perExample = perExample(delta); }
        return _perExample!;
    }

    // perExample gives [B, …perExampleShape]; the weighted sum takes the parameter's shape (they differ by a leading 1
    // for a parameter of the output's rank).
    public override Value SquaredNorms(Value delta) => perExampleShape.Length == 0 ? PerExample(delta) * PerExample(delta)
        : Op.ReduceSumSquare(PerExample(delta), Range(1, perExampleShape.Length + 1), keepDims: false);

    public override Value WeightedSum(Value delta, Value coef) =>
        Op.Reshape(Op.ReduceSum(PerExample(delta) * PerRow(coef, perExampleShape.Length + 1), [0], keepDims: false), shape ?? perExampleShape);
}

/// <summary>
/// A weight multiplying activations: y = A·V (MatMul, V [in, out]) or a Gemm with V or Vᵀ. The per-example gradient is
/// gᵢ = Aᵢᵀδᵢ and is never formed for 2-D activations: ‖aᵢδᵢᵀ‖² = ‖aᵢ‖²‖δᵢ‖², and Σᵢ cᵢgᵢ = Aᵀ(c ⊙ δ), one GEMM.
/// For sequences (A [B, T, in]) ‖Aᵢᵀδᵢ‖² = ⟨AᵢAᵢᵀ, δᵢδᵢᵀ⟩ (the "ghost norm" of Li et al. 2022, two T×T Gram matrices
/// per example) where 2T² ≤ in·out, else gᵢ is formed by a batched MatMul — whichever holds fewer numbers.
/// </summary>
internal sealed class DenseTap(Value output, Value activations, bool transposed, double alpha) : ParameterTap(output)
{
    public override Value SquaredNorms(Value delta)
    {
        int rank = activations.Rank ?? throw new NotSupportedException($"DP-SGD: the rank of '{activations.Name}' (input of the layer producing '{Output.Name}') must be known");
        Value norms;
        if (rank == 2)
            norms = Op.ReduceSumSquare(activations, [1], keepDims: false) * Op.ReduceSumSquare(delta, [1], keepDims: false);
        else
        {
            var (a, d, positions) = Sequences(delta);
            long inF = Static(activations, -1, "dense input"), outF = Static(delta, -1, "dense output");
            norms = positions is long t && 2 * t * t > inF * outF
                ? Op.ReduceSumSquare(Op.MatMul(Op.Transpose(a, 0, 2, 1), d), [1, 2], keepDims: false)
                : Op.ReduceSum(Op.MatMul(a, Op.Transpose(a, 0, 2, 1)) * Op.MatMul(d, Op.Transpose(d, 0, 2, 1)), [1, 2], keepDims: false);
        }
        return alpha == 1 ? norms : norms * (alpha * alpha);
    }

    public override Value WeightedSum(Value delta, Value coef)
    {
        long inF = Static(activations, -1, "dense input"), outF = Static(delta, -1, "dense output");
        int rank = activations.Rank!.Value;
        var a = rank == 2 ? activations : Op.Reshape(activations, -1, inF);
        var scaled = delta * PerRow(coef, rank);
        var d = rank == 2 ? scaled : Op.Reshape(scaled, -1, outF);
        // Σᵢ cᵢ aᵢᵀδᵢ over every (example, position) row: [in, out], or [out, in] for a weight stored transposed.
        return transposed ? Op.Gemm(d, a, alpha: (float)alpha, transA: true) : Op.Gemm(a, d, alpha: (float)alpha, transA: true);
    }

    private (Value A, Value D, long? Positions) Sequences(Value delta)
    {
        long inF = Static(activations, -1, "dense input"), outF = Static(delta, -1, "dense output");
        var s = activations.Shape!;
        long? positions = s.Skip(1).Take(s.Rank - 2).All(x => x.IsKnown) ? s.Skip(1).Take(s.Rank - 2).Aggregate(1L, (p, x) => p * x.Value!.Value) : null;
        return (Op.Reshape(activations, 0, -1, inF), Op.Reshape(delta, 0, -1, outF), positions);
    }
}

/// <summary>
/// A convolution weight. With Uᵢ [L, C·k…] example i's unfolded input (L output positions) and δᵢ [M, L], the
/// per-example gradient is gᵢ = δᵢUᵢ. Its squared norm is taken by whichever form costs fewer multiplications per
/// example: the ghost norm ⟨UᵢUᵢᵀ, δᵢᵀδᵢ⟩ (two L×L Grams, L²·(C·k… + M)) or gᵢ itself by a batched MatMul (L·M·C·k…).
/// The weighted sum is the ordinary weight-gradient GEMM fed with c ⊙ δ.
/// <para>
/// The unfolded input is the weight gradient's im2col matrix, whose columns run over (position, example) with the
/// example innermost; the batched products need the example outermost. That is a transpose moving one axis ([C·k…·L, B]
/// → [B, C·k…·L], giving Uᵢᵀ), which ONNX Runtime runs as a blocked 2-D transpose; reordering the two other axes in the
/// same transpose (to get Uᵢ itself) took its generic path, several times slower (bench/RESULTS.md, "Private training:
/// where a DP-SGD step's time goes"). The MatMuls read Uᵢᵀ transposed, which ONNX Runtime fuses into them.
/// </para>
/// </summary>
internal sealed class ConvTap(Value output, Value cols, ConvGeometry geometry) : ParameterTap(output)
{
    public override Value SquaredNorms(Value delta)
    {
        long m = Static(delta, 1, "convolution output"), ck = Static(cols, 0, "unfolded convolution input");
        long positions = delta.Shape!.Skip(2).Aggregate(1L, (p, x) => p * x.Value!.Value);
        var ut = Op.Reshape(Op.Transpose(Op.Reshape(cols, ck * positions, -1), 1, 0), -1, ck, positions); // [B, C·k…, L]: Uᵢᵀ
        var d = Op.Reshape(delta, 0, m, positions);                                                        // [B, M, L]
        return UsesGhostNorm(positions, m, ck)
            ? Op.ReduceSum(Op.MatMul(Op.Transpose(ut, 0, 2, 1), ut) * Op.MatMul(Op.Transpose(d, 0, 2, 1), d), [1, 2], keepDims: false)
            : Op.ReduceSumSquare(Op.MatMul(d, Op.Transpose(ut, 0, 2, 1)), [1, 2], keepDims: false);
    }

    /// <summary>True where the ghost norm takes fewer multiplications per example than forming the example's gradient.</summary>
    internal static bool UsesGhostNorm(long positions, long outChannels, long unfolded) => positions * (unfolded + outChannels) < outChannels * unfolded;

    public override Value WeightedSum(Value delta, Value coef)
    {
        var scaled = delta * PerRow(coef, delta.Rank!.Value);
        scaled.Type = delta.Type; // the GEMM reads the channel count from it

        return geometry.GemmWeightGrad(cols, scaled);
    }

    /// <summary>The tap of a Conv node's weight, or an explanation of why it has none.</summary>
    public static ConvTap Create(Node node, Value x, Value weight, Value y)
    {
        if (node.GetString("auto_pad", "NOTSET") != "NOTSET")
            throw new NotSupportedException($"DP-SGD: {node.Describe()} uses auto_pad; per-example gradients need explicit pads");
        long[] kernel = weight.Shape!.Skip(2).Select(d => d.Value!.Value).ToArray();
        var window = ConvWindow.Read(node, kernel, what => new NotSupportedException($"DP-SGD: {node.Describe()}: {what}"));
        var geometry = new ConvGeometry(window, node.GetInt("group", 1));
        var cols = geometry.Unfold(x, y) ?? throw new NotSupportedException(
            $"DP-SGD: {node.Describe()}: per-example convolution gradients need one group and the input's channel and spatial sizes known when the graph is built, got input {x.Type}, group {geometry.Group}");
        return new ConvTap(y, cols, geometry);
    }
}

/// <summary>
/// An embedding table read by Gather: example i's gradient adds δᵢₜ to row idxᵢₜ for each of its positions t, so
/// ‖gᵢ‖² = Σₜ,ₜ' [idxᵢₜ = idxᵢₜ'] ⟨δᵢₜ, δᵢₜ'⟩ (a T×T Gram masked by equal indices), and the weighted sum is one
/// ScatterND-add of c ⊙ δ into a zero table.
/// </summary>
internal sealed class EmbeddingTap(Value output, Value indices, long[] tableShape) : ParameterTap(output)
{
    private Value Indices => Op.Reshape(indices.ElementType == ElementType.Int64 ? indices : Op.Cast(indices, ElementType.Int64), 0, -1); // [B, T]

    public override Value SquaredNorms(Value delta)
    {
        var idx = Indices;
        var d = Op.Reshape(delta, 0, -1, tableShape[1]);
        var same = Op.Cast(Op.Equal(Op.Unsqueeze(idx, 2), Op.Unsqueeze(idx, 1)), delta.ElementType);
        return Op.ReduceSum(same * Op.MatMul(d, Op.Transpose(d, 0, 2, 1)), [1, 2], keepDims: false);
    }

    public override Value WeightedSum(Value delta, Value coef)
    {
        var g = delta.Builder;
        g.RequireOpset("", 16); // ScatterND with reduction
        var updates = Op.Reshape(delta * PerRow(coef, delta.Rank ?? Indices.Rank!.Value + 1), -1, tableShape[1]);
        var zeros = g.Constant(TensorData.FromFloats("", new float[tableShape[0] * tableShape[1]], tableShape));
        return g.Node1("ScatterND", [zeros, Op.Reshape(Indices, -1, 1), updates], Attr.String("reduction", "add"));
    }
}
