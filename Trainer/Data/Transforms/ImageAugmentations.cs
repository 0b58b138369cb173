using System.Buffers;

namespace OnnxKit.Training.Data;

/// <summary>
/// Pads each side of an image sample ([C, H, W] or [H, W]) with <see cref="Padding"/> zeros and crops a random
/// H×W window back out: a shift of up to ±padding pixels, the standard CIFAR augmentation.
/// </summary>
public sealed class RandomCrop : ISampleTransform
{
    /// <summary>Zero padding on each side, in pixels.</summary>
    public int Padding { get; }

    /// <summary>Creates the transform.</summary>
    public RandomCrop(int padding)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Padding = padding;
    }

    /// <inheritdoc/>
    public void Check(IReadOnlyList<int> sampleShape) => ImageShape.Require(sampleShape, nameof(RandomCrop));

    /// <inheritdoc/>
    public void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random)
    {
        var (channels, h, w) = ImageShape.Of(sampleShape);
        int dy = random.NextInt(2 * Padding + 1) - Padding, dx = random.NextInt(2 * Padding + 1) - Padding;
        if (dy == 0 && dx == 0) return;
        float[] copy = ArrayPool<float>.Shared.Rent(sample.Length);
        try
        {
            sample.CopyTo(copy);
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        // Output (y, x) is the padded image's (y + dy + p, x + dx + p), i.e. the original's (y + dy, x + dx).
                        int sy = y + dy, sx = x + dx;
                        sample[(c * h + y) * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? copy[(c * h + sy) * w + sx] : 0f;
                    }
        }
        finally { ArrayPool<float>.Shared.Return(copy); }
    }
}

/// <summary>Mirrors an image sample ([C, H, W] or [H, W]) left–right with probability <see cref="Probability"/>.</summary>
public sealed class HorizontalFlip : ISampleTransform
{
    /// <summary>Chance of a flip.</summary>
    public double Probability { get; }

    /// <summary>Creates the transform.</summary>
    public HorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1)) throw new ArgumentOutOfRangeException(nameof(probability), probability, "must lie in [0, 1]");
        Probability = probability;
    }

    /// <inheritdoc/>
    public void Check(IReadOnlyList<int> sampleShape) => ImageShape.Require(sampleShape, nameof(HorizontalFlip));

    /// <inheritdoc/>
    public void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random)
    {
        if (random.NextDouble() >= Probability) return;
        int w = sampleShape[^1];
        for (int row = 0; row < sample.Length / w; row++) sample.Slice(row * w, w).Reverse();
    }
}

/// <summary>Adds independent Gaussian noise of standard deviation <see cref="Std"/> to every value.</summary>
public sealed class GaussianNoise : ISampleTransform
{
    /// <summary>Noise standard deviation.</summary>
    public double Std { get; }

    /// <summary>Creates the transform.</summary>
    public GaussianNoise(double std)
    {
        if (!(std >= 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "must be non-negative");
        Std = std;
    }

    /// <inheritdoc/>
    public void Check(IReadOnlyList<int> sampleShape) { }

    /// <inheritdoc/>
    public void Apply(Span<float> sample, IReadOnlyList<int> sampleShape, SeededRandom random)
    {
        foreach (ref float v in sample) v += (float)(Std * random.NextGaussian());
    }
}

internal static class ImageShape
{
    public static void Require(IReadOnlyList<int> shape, string transform)
    {
        if (shape.Count is not (2 or 3))
            throw new ArgumentException($"{transform}: expected image samples [C, H, W] or [H, W], found shape [{string.Join(", ", shape)}]");
    }

    public static (int C, int H, int W) Of(IReadOnlyList<int> shape) =>
        shape.Count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1]);
}
