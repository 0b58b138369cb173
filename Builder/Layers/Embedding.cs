using OnnxKit.Init;

namespace OnnxKit;

/// <summary>
/// Lookup table (PyTorch's <c>nn.Embedding</c>): integer indices of any shape → their rows of the weight
/// [numEmbeddings, embeddingDim], one <c>Gather</c>. The weight is drawn from N(0, 1) as PyTorch's, with the
/// <c>paddingIdx</c> row zero. Unlike PyTorch the padding row is not shielded from gradients: it is only
/// initialised to zero (freeze it, or keep its index out of the data, where that matters).
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Number of rows.</summary>
    public long NumEmbeddings { get; }
    /// <summary>Row size.</summary>
    public long EmbeddingDim { get; }
    /// <summary>Row initialised to zeros (non-negative), or null.</summary>
    public long? PaddingIdx { get; }
    /// <summary>The table [numEmbeddings, embeddingDim].</summary>
    public Parameter Weight { get; }

    /// <summary>Creates the layer; a negative <paramref name="paddingIdx"/> counts from the end, as PyTorch.</summary>
    public Embedding(long numEmbeddings, long embeddingDim, long? paddingIdx = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding: sizes must be positive, got {numEmbeddings} × {embeddingDim}");
        if (paddingIdx is long p && (p >= numEmbeddings || p < -numEmbeddings))
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"Embedding: padding_idx must lie within [-{numEmbeddings}, {numEmbeddings})");
        NumEmbeddings = numEmbeddings; EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx is long q ? (q < 0 ? q + numEmbeddings : q) : null;
        Weight = AddParameter("weight", [numEmbeddings, embeddingDim], new PaddedNormal(PaddingIdx));
    }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var w = Weight.In(x.Builder);
        return Op.Gather(w, x, axis: 0).As(w);
    }

    private sealed class PaddedNormal(long? paddingRow) : IInitializer
    {
        public float[] Create(long[] shape, Random rng)
        {
            var a = Initializers.Normal().Create(shape, rng);
            if (paddingRow is long r) Array.Clear(a, (int)(r * shape[1]), (int)shape[1]);
            return a;
        }
    }
}
