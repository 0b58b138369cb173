using System.Globalization;

namespace OnnxKit.Cli.Commands;

/// <summary><c>--arch-params</c>: architecture parameters written as <c>NAME=VALUE,…</c>.</summary>
internal static class ArchitectureParameters
{
    public static IReadOnlyDictionary<string, double>? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var values = new Dictionary<string, double>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = item.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || kv[0].Length == 0 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                throw new CliException($"--arch-params: expected NAME=NUMBER items separated by commas (e.g. depth=2,width=256), got '{item}'");
            if (!values.TryAdd(kv[0], v)) throw new CliException($"--arch-params: '{kv[0]}' is given twice");
        }
        return values;
    }

    /// <summary>The <c>--arch-params</c> text for values, numbers written so that they read back exactly.</summary>
    public static string Format(IReadOnlyDictionary<string, double> values) =>
        string.Join(",", values.Select(kv => $"{kv.Key}={kv.Value.ToString("R", CultureInfo.InvariantCulture)}"));
}
