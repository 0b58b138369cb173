namespace OnnxKit.Explain;

/// <summary>
/// Occlusion: a window slides over the input's spatial axes (all channels at once) or over a feature vector; inside it
/// the input is replaced by the baseline. An element's attribution is the mean drop of the target output over the
/// windows that cover it (Captum's <c>Occlusion</c>); elements no window covers get 0.
/// </summary>
internal static class Occlusion
{
    public static float[] Attribute(float[] sample, float[] baseline, int target, InputLayout l, ExplainOptions o, Func<float[][], float[][]> forward)
    {
        int side = l.IsVector ? l.Width : Math.Min(l.Height, l.Width);
        int window = o.Window ?? (l.IsVector ? 1 : Math.Max(1, (int)Math.Round(side / 7.0)));
        int stride = o.Stride ?? Math.Max(1, window / 2);
        int windowH = l.IsVector ? 1 : window;
        if (window < 1 || stride < 1) throw new ArgumentException($"occlusion window and stride must be at least 1, got window {window}, stride {stride}");
        if (windowH > l.Height || window > l.Width) throw new ArgumentException($"occlusion window {window} is larger than the input {l}");
        var windows = new List<(int Y, int X)>();
        for (int y = 0; y + windowH <= l.Height; y += stride)
            for (int x = 0; x + window <= l.Width; x += stride) windows.Add((y, x));

        var occluded = windows.Select(w =>
        {
            var copy = (float[])sample.Clone();
            ForEachCovered(l, w, windowH, window, i => copy[i] = baseline[i]);
            return copy;
        }).ToArray();
        float reference = forward([sample])[0][target];
        var outputs = forward(occluded);
        var sum = new float[sample.Length];
        var count = new int[sample.Length];
        for (int k = 0; k < windows.Count; k++)
        {
            float drop = reference - outputs[k][target];
            ForEachCovered(l, windows[k], windowH, window, i => { sum[i] += drop; count[i]++; });
        }
        for (int i = 0; i < sum.Length; i++) sum[i] = count[i] > 0 ? sum[i] / count[i] : 0f;
        return sum;
    }

    private static void ForEachCovered(InputLayout l, (int Y, int X) at, int windowH, int windowW, Action<int> act)
    {
        for (int c = 0; c < l.Channels; c++)
            for (int y = at.Y; y < at.Y + windowH; y++)
                for (int x = at.X; x < at.X + windowW; x++) act(l.Index(c, y, x));
    }
}
