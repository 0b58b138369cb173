namespace OnnxKit.Explain;

/// <summary>
/// How a sample (the model input without its batch axis) is read as an image: channels × height × width, channels
/// first (PyTorch, <c>[C, H, W]</c>) or last (TensorFlow, <c>[H, W, C]</c>). A feature vector is one row of
/// width F; a 2-D sample is one channel.
/// </summary>
public sealed record InputLayout(long[] Shape, int Channels, int Height, int Width, bool ChannelsLast)
{
    /// <summary>Elements in a sample.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>True for a feature vector (rank 1).</summary>
    public bool IsVector => Shape.Length == 1;

    /// <summary>Flat index of channel <paramref name="c"/> at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public int Index(int c, int y, int x) => ChannelsLast ? (y * Width + x) * Channels + c : (c * Height + y) * Width + x;

    /// <summary>
    /// Reads <paramref name="sample"/>: a rank-3 sample is channels-last when its last axis is small (≤ 4, colour
    /// planes) and its first is not, the way TensorFlow exports images; otherwise channels-first.
    /// </summary>
    public static InputLayout Of(long[] sample)
    {
        checked
        {
            return sample.Length switch
            {
                1 => new InputLayout(sample, 1, 1, (int)sample[0], false),
                2 => new InputLayout(sample, 1, (int)sample[0], (int)sample[1], false),
                3 when sample[2] <= 4 && sample[0] > 4 => new InputLayout(sample, (int)sample[2], (int)sample[0], (int)sample[1], true),
                3 => new InputLayout(sample, (int)sample[0], (int)sample[1], (int)sample[2], false),
                _ => throw new ArgumentException($"a sample of shape [{string.Join(", ", sample)}] is not a feature vector or an image ([C, H, W] or [H, W, C])"),
            };
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"[{string.Join(", ", Shape)}]{(Shape.Length == 3 ? ChannelsLast ? " channels-last" : " channels-first" : "")}";
}
