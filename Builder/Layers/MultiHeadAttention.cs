using OnnxKit.Init;
using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Multi-head scaled dot-product attention (PyTorch's <c>nn.MultiheadAttention</c> with equal query/key/value sizes),
/// written with MatMul, Reshape, Transpose and Softmax. Parameters as PyTorch's state_dict: <c>in_proj_weight</c>
/// [3E, E] (Xavier-uniform), <c>in_proj_bias</c> [3E] (zeros), <c>out_proj.weight</c> [E, E] (Linear's default) and
/// <c>out_proj.bias</c> [E] (zeros). Inputs are [N, L, E] with <c>batchFirst</c> (the default here), else [L, N, E].
/// Masks follow PyTorch: a bool mask is true where attention is forbidden; a float mask is added to the scores.
/// </summary>
public sealed class MultiHeadAttention : Module
{
    /// <summary>Model width E.</summary>
    public long EmbedDim { get; }
    /// <summary>Number of heads H (E/H per head).</summary>
    public long NumHeads { get; }
    /// <summary>Dropout probability on the attention weights (training graphs only).</summary>
    public double DropoutP { get; }
    /// <summary>Whether inputs are [N, L, E] (true) or [L, N, E].</summary>
    public bool BatchFirst { get; }
    /// <summary>Packed query/key/value projection weight [3E, E].</summary>
    public Parameter InProjWeight { get; }
    /// <summary>Packed projection bias [3E], or null.</summary>
    public Parameter? InProjBias { get; }
    /// <summary>The output projection (<c>out_proj</c>).</summary>
    public Dense OutProj { get; }

    private long HeadDim => EmbedDim / NumHeads;

    /// <summary>Creates the layer.</summary>
    public MultiHeadAttention(long embedDim, long numHeads, double dropout = 0.0, bool bias = true, bool batchFirst = true)
    {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0)
            throw new ArgumentException($"MultiHeadAttention: embed_dim ({embedDim}) must be a positive multiple of num_heads ({numHeads})");
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "MultiHeadAttention: dropout must lie in [0, 1)");
        EmbedDim = embedDim; NumHeads = numHeads; DropoutP = dropout; BatchFirst = batchFirst;
        InProjWeight = AddParameter("in_proj_weight", [3 * embedDim, embedDim], Initializers.GlorotUniform());
        if (bias) InProjBias = AddParameter("in_proj_bias", [3 * embedDim], Initializers.Zeros);
        OutProj = Add("out_proj", new Dense(embedDim, useBias: bias, inFeatures: embedDim));
        // PyTorch zeroes out_proj.bias in _reset_parameters (its weight keeps Linear's default).
        if (bias) OutProj.Bias!.Data = new float[embedDim];
    }

    /// <summary>Self-attention: query = key = value = <paramref name="x"/>, no masks.</summary>
    public override Value Forward(Value x) => Attend(x, x, x, null, null).Output;

    /// <summary>
    /// Attention of <paramref name="query"/> [N, L, E] over <paramref name="key"/>/<paramref name="value"/> [N, S, E]
    /// (or sequence-first). <paramref name="attnMask"/> is [L, S] or [N·H, L, S]; <paramref name="keyPaddingMask"/>
    /// is [N, S]. Returns [N, L, E].
    /// </summary>
    public Value Forward(Value query, Value key, Value value, Value? attnMask = null, Value? keyPaddingMask = null)
    {
        using var _ = Parent is null || LocalName.Length == 0 ? null : query.Builder.Scope(Prefix.TrimEnd('.'));
        return Attend(query, key, value, attnMask, keyPaddingMask).Output;
    }

    /// <summary>
    /// <see cref="Forward(Value, Value, Value, Value?, Value?)"/> that also returns the attention weights (after
    /// dropout, as PyTorch's <c>need_weights=True</c>): averaged over the heads [N, L, S] by default, else [N, H, L, S].
    /// </summary>
    public (Value Output, Value Weights) ForwardWithWeights(Value query, Value key, Value value, Value? attnMask = null, Value? keyPaddingMask = null, bool averageHeads = true)
    {
        using var _ = Parent is null || LocalName.Length == 0 ? null : query.Builder.Scope(Prefix.TrimEnd('.'));
        var (y, w) = Attend(query, key, value, attnMask, keyPaddingMask);
        return (y, averageHeads ? Op.ReduceMean(w, [1], keepDims: false).As(w) : w);
    }

    private (Value Output, Value Weights) Attend(Value query, Value key, Value value, Value? attnMask, Value? keyPaddingMask)
    {
        var g = query.Builder;
        if (!BatchFirst) { query = Op.Transpose(query, 1, 0, 2).As(query); key = Op.Transpose(key, 1, 0, 2).As(key); value = Op.Transpose(value, 1, 0, 2).As(value); }
        // Per-head layout [N, H, len, D].
        var q = Heads(Project(query, 0)) * (1.0 / Math.Sqrt(HeadDim));
        var k = Heads(Project(key, 1));
        var v = Heads(Project(value, 2));
        var scores = Op.MatMul(q, Op.Transpose(k, 0, 1, 3, 2)); // [N, H, L, S]
        if (attnMask is not null)
        {
            var m = Additive(attnMask, query.ElementType);
            if (attnMask.Rank == 3) // [N·H, L, S] → [N, H, L, S]
                m = Op.Reshape(m, Op.Concat(0, g.Int64s(-1, NumHeads), Op.Shape(m, 1)));
            else if (attnMask.Rank is not (2 or null))
                throw new GraphBuildException($"MultiHeadAttention '{Prefix.TrimEnd('.')}': attn_mask '{attnMask.Name}' has shape {attnMask.Shape}; expected [L, S] or [N·H, L, S]");
            scores = scores + m;
        }
        if (keyPaddingMask is not null)
            scores = scores + Op.Unsqueeze(Additive(keyPaddingMask, query.ElementType), 1, 2); // [N, S] → [N, 1, 1, S]
        var weights = Op.Softmax(scores, -1);
        if (g.Training && DropoutP > 0) weights = Op.Dropout(weights, DropoutP, training: true)[0].As(scores);
        var context = Op.Transpose(Op.MatMul(weights, v), 0, 2, 1, 3).As(query); // [N, L, H, D]
        var y = OutProj.Call(Op.Reshape(context, 0, 0, EmbedDim)).As(query);
        return (BatchFirst ? y : Op.Transpose(y, 1, 0, 2).As(y), weights);
    }

    // Rows [i·E, (i+1)·E) of the packed projection: 0 query, 1 key, 2 value.
    private Value Project(Value x, int i)
    {
        var g = x.Builder;
        long[] from = [i * EmbedDim], to = [(i + 1) * EmbedDim], axis0 = [0];
        var w = Op.Slice(InProjWeight.In(g), from, to, axis0);
        var y = Op.MatMul(x, Op.Transpose(w, 1, 0)).As(x);
        return InProjBias is null ? y : (y + Op.Slice(InProjBias.In(g), from, to, axis0)).As(x);
    }

    private Value Heads(Value x) => Op.Transpose(Op.Reshape(x, 0, 0, NumHeads, HeadDim), 0, 2, 1, 3).As(x);

    // A bool mask (true = masked) becomes 0 / −∞; a float mask is added as it is.
    private static Value Additive(Value mask, ElementType type)
    {
        if (mask.ElementType != ElementType.Bool) return mask;
        var g = mask.Builder;
        return Op.Where(mask, g.Scalar(double.NegativeInfinity, type), g.Scalar(0, type));
    }
}
