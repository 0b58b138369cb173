using OnnxKit.Training.Data;

namespace OnnxKit.Interop.Transfer;

/// <summary>How a model wants a channel-first dataset sample laid out.</summary>
public enum InputLayout
{
    /// <summary>Decide from the shapes; ambiguous cases are refused.</summary>
    Auto,
    /// <summary>Channels first (PyTorch's order, the datasets' own): the values are fed in their order, reshaped.</summary>
    Nchw,
    /// <summary>Channels last (TensorFlow/Keras): a <c>[C, H, W]</c> sample is transposed to <c>[H, W, C]</c>, then reshaped.</summary>
    Nhwc,
}

/// <summary>
/// Fits a dataset's samples to the sample shape a model declares, when both hold the same number of values:
/// <c>[1, 28, 28]</c> to <c>[28, 28]</c> or <c>[28, 28, 1]</c> (one channel: both layouts hold the values in the same
/// order), <c>[3, 32, 32]</c> to <c>[32, 32, 3]</c> (channels last: transposed). A shape that only a choice of
/// layout can decide (e.g. three channels flattened to <c>[3072]</c>) is refused unless the layout is given.
/// </summary>
public static class SampleLayout
{
    /// <summary>The data with samples of <paramref name="modelSample"/>'s shape (the same instance when they already match).</summary>
    /// <param name="data">Samples as the dataset stores them (images channel-first).</param>
    /// <param name="modelSample">The model's sample shape (input shape without the batch); null entries are symbolic dimensions.</param>
    /// <param name="layout">The layout the model expects; <see cref="InputLayout.Auto"/> decides from the shapes.</param>
    /// <param name="inputName">The model input's name, for messages.</param>
    /// <exception cref="ArgumentException">The shapes cannot be matched, or only a layout choice could match them.</exception>
    public static TensorDataset Fit(TensorDataset data, IReadOnlyList<long?> modelSample, InputLayout layout, string inputName)
    {
        var have = data.SampleShape;
        string Describe() => $"input '{inputName}' takes samples of shape [{string.Join(", ", modelSample.Select(d => d?.ToString() ?? "?"))}], the dataset has [{string.Join(", ", have)}]";
        bool matches = modelSample.Count == have.Length && modelSample.Select((d, i) => d is null || d == have[i]).All(b => b);
        if (matches && layout != InputLayout.Nhwc) return data;
        if (modelSample.Any(d => d is null))
            throw new ArgumentException($"{Describe()}; a sample dimension of the model is symbolic, so the samples cannot be reshaped to it");
        int[] target = modelSample.Select(d => checked((int)d!.Value)).ToArray();
        long want = target.Aggregate(1L, (a, d) => a * d);
        if (want != data.SampleSize)
            throw new ArgumentException($"{Describe()}: {want} values per sample against {data.SampleSize}, so no layout fits");

        bool oneChannel = have.Length == 3 && have[0] == 1;
        bool channelsLast = have.Length == 3 && target.Length == 3 && target[0] == have[1] && target[1] == have[2] && target[2] == have[0];
        if (layout == InputLayout.Auto)
        {
            if (oneChannel || Squeezed(have).SequenceEqual(Squeezed(target))) layout = InputLayout.Nchw;
            else if (channelsLast) layout = InputLayout.Nhwc;
            else throw new ArgumentException($"{Describe()}: the same number of values, but the order depends on the layout; choose it "
                + "(nchw: channels first, as the dataset stores them; nhwc: channels last) with --input-layout");
        }
        if (layout == InputLayout.Nchw || oneChannel) return Reshaped(data, data.Features, target);
        if (have.Length != 3)
            throw new ArgumentException($"{Describe()}: the nhwc layout needs channel-first image samples [C, H, W]");
        return Reshaped(data, ToChannelsLast(data.Features, data.Count, have[0], have[1] * have[2]), target);
    }

    private static IEnumerable<int> Squeezed(IEnumerable<int> shape) => shape.Where(d => d != 1);

    private static float[] ToChannelsLast(float[] chw, int count, int channels, int pixels)
    {
        var hwc = new float[chw.Length];
        int size = channels * pixels;
        for (int s = 0; s < count; s++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                    hwc[s * size + p * channels + c] = chw[s * size + c * pixels + p];
        return hwc;
    }

    private static TensorDataset Reshaped(TensorDataset data, float[] features, int[] shape) => data.Labels is { } labels
        ? new TensorDataset(features, shape, labels, data.ClassNames, data.NumClasses, data.Source)
        : new TensorDataset(features, shape, data.Targets!, data.TargetWidth, data.Source);
}
