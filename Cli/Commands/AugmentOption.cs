using System.CommandLine;
using System.Globalization;
using OnnxKit.Training.Data;

namespace OnnxKit.Cli.Commands;

/// <summary>
/// The train verb's <c>--augment</c>: a comma-separated list of training-data augmentations by name, each with an
/// optional value after '=' (<c>random-crop=4,hflip,noise=0.1</c>). Names and values are checked before any data is
/// read; whether the data are images is checked once they are.
/// </summary>
internal static class AugmentOption
{
    private sealed record Entry(string Name, string Value, double Default, string Does, Func<double, ISampleTransform> Make);

    private static readonly Entry[] Catalogue =
    [
        new("random-crop", "PAD", 2, "shift by up to ±PAD pixels with zero fill", v => Transforms.RandomCrop(WholeNumber(v))),
        new("hflip", "P", 0.5, "mirror left–right with probability P", v => Transforms.HorizontalFlip(v)),
        new("noise", "STD", 0.05, "add Gaussian noise of standard deviation STD (in the units of the data as read: pixels in [0,1])", v => Transforms.GaussianNoise(v)),
    ];

    /// <summary>The valid names with their values and defaults, as the error messages and the help show them.</summary>
    public static string ValidNames => string.Join(", ", Catalogue.Select(e => $"{e.Name}[={e.Value}] (default {e.Default.ToString(CultureInfo.InvariantCulture)})"));

    /// <summary>The option itself.</summary>
    public static Option<string?> Create() => new("--augment")
    {
        Description = "augment the training batches (not validation or test): " +
            string.Join("; ", Catalogue.Select(e => $"{e.Name}[={e.Value}]: {e.Does}, default {e.Default.ToString(CultureInfo.InvariantCulture)}")) +
            ". Comma-separated, applied in the order given, e.g. random-crop,hflip",
    };

    /// <summary>The transforms of <paramref name="spec"/> in order (none for null); a mistake is a <see cref="CliException"/> naming it and the valid names.</summary>
    public static IReadOnlyList<ISampleTransform> Parse(string? spec)
    {
        if (spec is null) return [];
        var transforms = new List<ISampleTransform>();
        foreach (var raw in spec.Split(','))
        {
            string item = raw.Trim();
            int eq = item.IndexOf('=');
            string name = (eq < 0 ? item : item[..eq]).Trim().ToLowerInvariant();
            var entry = Catalogue.FirstOrDefault(e => e.Name == name)
                ?? throw new CliException($"--augment: unknown augmentation '{item}'; valid: {ValidNames}");
            double value = entry.Default;
            if (eq >= 0 && !double.TryParse(item[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                throw new CliException($"--augment: {name} takes a number ({entry.Value}), got '{item[(eq + 1)..]}'");
            try { transforms.Add(entry.Make(value)); }
            catch (ArgumentOutOfRangeException e) { throw new CliException($"--augment: {name}={item[(eq + 1)..]}: {entry.Value} {FirstLine(e.Message)}"); }
        }
        return transforms;
    }

    /// <summary>Refuses augmentations that cannot apply to samples of this shape (image transforms on feature vectors).</summary>
    public static void Check(IReadOnlyList<ISampleTransform> transforms, IReadOnlyList<int> sampleShape, string dataset)
    {
        foreach (var t in transforms)
        {
            try { t.Check(sampleShape); }
            catch (ArgumentException e) { throw new CliException($"--augment on {dataset}: {e.Message}"); }
        }
    }

    private static int WholeNumber(double v) =>
        v == Math.Floor(v) && v is >= 0 and <= 1000 ? (int)v : throw new ArgumentOutOfRangeException(nameof(v), v, "must be a whole number of pixels in [0, 1000]");

    // ArgumentOutOfRangeException appends "(Parameter …)" and "Actual value …" lines.
    private static string FirstLine(string message) => message.Split('\n')[0].Split(" (Parameter")[0].Trim();
}
