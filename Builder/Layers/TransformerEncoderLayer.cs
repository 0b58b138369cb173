namespace OnnxKit;

/// <summary>
/// One Transformer encoder block (PyTorch's <c>nn.TransformerEncoderLayer</c>): self-attention and a feed-forward
/// network (Linear → activation → Dropout → Linear), each with dropout, a residual connection and LayerNorm — after
/// the residual by default (post-norm), before the sub-block with <c>normFirst</c>. Children and parameter names as
/// PyTorch: <c>self_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>,
/// <c>dropout1</c>, <c>dropout2</c>.
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    /// <summary>Self-attention.</summary>
    public MultiHeadAttention SelfAttn { get; }
    /// <summary>First feed-forward layer (d_model → dim_feedforward).</summary>
    public Dense Linear1 { get; }
    /// <summary>Second feed-forward layer (dim_feedforward → d_model).</summary>
    public Dense Linear2 { get; }
    /// <summary>Norm of the attention sub-block.</summary>
    public LayerNorm Norm1 { get; }
    /// <summary>Norm of the feed-forward sub-block.</summary>
    public LayerNorm Norm2 { get; }
    /// <summary>Whether the norms come before the sub-blocks.</summary>
    public bool NormFirst { get; }
    /// <summary>"relu" or "gelu".</summary>
    public string ActivationName { get; }

    private readonly Dropout _dropout, _dropout1, _dropout2;

    /// <summary>Creates the block.</summary>
    public TransformerEncoderLayer(long dModel, long nHead, long dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        float layerNormEps = 1e-5f, bool batchFirst = true, bool normFirst = false)
    {
        if (activation is not ("relu" or "gelu"))
            throw new ArgumentException($"TransformerEncoderLayer: activation must be \"relu\" or \"gelu\", got \"{activation}\"", nameof(activation));
        ActivationName = activation; NormFirst = normFirst;
        // Registration order is PyTorch's, so Parameters() lists the state_dict in its order.
        SelfAttn = Add("self_attn", new MultiHeadAttention(dModel, nHead, dropout, bias: true, batchFirst: batchFirst));
        Linear1 = Add("linear1", new Dense(dimFeedforward, inFeatures: dModel));
        _dropout = Add("dropout", new Dropout(dropout));
        Linear2 = Add("linear2", new Dense(dModel, inFeatures: dimFeedforward));
        Norm1 = Add("norm1", new LayerNorm(dModel, layerNormEps));
        Norm2 = Add("norm2", new LayerNorm(dModel, layerNormEps));
        _dropout1 = Add("dropout1", new Dropout(dropout));
        _dropout2 = Add("dropout2", new Dropout(dropout));
    }

    /// <inheritdoc/>
    public override Value Forward(Value x) => Encode(x, null, null);

    /// <summary>The block with PyTorch's <c>src_mask</c> ([L, L] or [N·H, L, L]) and <c>src_key_padding_mask</c> ([N, L]).</summary>
    public Value Forward(Value src, Value? srcMask, Value? srcKeyPaddingMask)
    {
        using var _ = Parent is null || LocalName.Length == 0 ? null : src.Builder.Scope(Prefix.TrimEnd('.'));
        return Encode(src, srcMask, srcKeyPaddingMask);
    }

    private Value Encode(Value x, Value? mask, Value? keyPadding)
    {
        if (NormFirst)
        {
            x = x + SelfAttention(Norm1.Call(x), mask, keyPadding);
            return x + FeedForward(Norm2.Call(x));
        }
        x = Norm1.Call(x + SelfAttention(x, mask, keyPadding));
        return Norm2.Call(x + FeedForward(x));
    }

    private Value SelfAttention(Value x, Value? mask, Value? keyPadding) =>
        _dropout1.Call(SelfAttn.Forward(x, x, x, mask, keyPadding));

    private Value FeedForward(Value x)
    {
        var h = Linear1.Call(x);
        h = ActivationName == "gelu" ? Op.Gelu(h) : Op.Relu(h);
        return _dropout2.Call(Linear2.Call(_dropout.Call(h)));
    }
}
