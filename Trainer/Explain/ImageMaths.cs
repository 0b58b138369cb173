namespace OnnxKit.Explain;

/// <summary>The host-side image arithmetic of the attribution methods: the blurred baseline and Grad-CAM's upsampling.</summary>
internal static class ImageMaths
{
    /// <summary>Each channel convolved with a separable Gaussian of <paramref name="sigma"/> pixels, edges clamped.</summary>
    public static float[] GaussianBlur(float[] x, InputLayout l, float sigma)
    {
        if (sigma <= 0) return (float[])x.Clone();
        int radius = (int)MathF.Ceiling(3 * sigma);
        var k = new double[2 * radius + 1];
        for (int i = -radius; i <= radius; i++) k[i + radius] = Math.Exp(-0.5 * i * i / (sigma * sigma));
        double total = k.Sum();
        for (int i = 0; i < k.Length; i++) k[i] /= total;
        var rows = new float[x.Length];
        var result = new float[x.Length];
        for (int c = 0; c < l.Channels; c++)
        {
            for (int y = 0; y < l.Height; y++)
                for (int xx = 0; xx < l.Width; xx++)
                {
                    double s = 0;
                    for (int d = -radius; d <= radius; d++) s += k[d + radius] * x[l.Index(c, y, Math.Clamp(xx + d, 0, l.Width - 1))];
                    rows[l.Index(c, y, xx)] = (float)s;
                }
            for (int y = 0; y < l.Height; y++)
                for (int xx = 0; xx < l.Width; xx++)
                {
                    double s = 0;
                    for (int d = -radius; d <= radius; d++) s += k[d + radius] * rows[l.Index(c, Math.Clamp(y + d, 0, l.Height - 1), xx)];
                    result[l.Index(c, y, xx)] = (float)s;
                }
        }
        return result;
    }

    /// <summary>
    /// Bilinear resize of an <paramref name="h"/>×<paramref name="w"/> map to <paramref name="outH"/>×<paramref name="outW"/>
    /// with half-pixel centres (PyTorch's <c>interpolate(mode="bilinear", align_corners=False)</c>).
    /// </summary>
    public static float[] Bilinear(float[] map, int h, int w, int outH, int outW)
    {
        var result = new float[outH * outW];
        for (int y = 0; y < outH; y++)
        {
            var (y0, y1, fy) = Source(y, h, outH);
            for (int x = 0; x < outW; x++)
            {
                var (x0, x1, fx) = Source(x, w, outW);
                float top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
                float bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
                result[y * outW + x] = top * (1 - fy) + bottom * fy;
            }
        }
        return result;
    }

    private static (int Low, int High, float Fraction) Source(int dst, int inSize, int outSize)
    {
        float src = Math.Max(0f, (dst + 0.5f) * inSize / outSize - 0.5f);
        int low = Math.Min((int)src, inSize - 1);
        return (low, Math.Min(low + 1, inSize - 1), src - low);
    }
}
