using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxKit.Training.Fit;
using OnnxKit.IO;

namespace OnnxKit.Training.Reports;

/// <summary>
/// <c>metrics.json</c> and <c>metrics.csv</c> of a run. JSON layout (documented in the README):
/// <c>{"epochs": [{"epoch", "seconds", "train_loss", "train_&lt;metric&gt;", "val_loss", "val_&lt;metric&gt;", "lr", "samples_per_second"}],
/// "test_loss", "test_&lt;metric&gt;", "samples_per_second", …}</c>.
/// </summary>
public static class MetricsFiles
{
    /// <summary>One epoch as a flat name → number map (the columns of the CSV).</summary>
    public static Dictionary<string, double?> Flatten(EpochRecord r)
    {
        var d = new Dictionary<string, double?> { ["epoch"] = r.Epoch, ["seconds"] = Math.Round(r.Seconds, 4), ["train_loss"] = r.TrainLoss };
        foreach (var kv in r.TrainMetrics) d["train_" + kv.Key] = kv.Value;
        d["val_loss"] = r.ValLoss;
        foreach (var kv in r.ValMetrics) d["val_" + kv.Key] = kv.Value;
        d["lr"] = r.LearningRate;
        d["samples_per_second"] = Math.Round(r.SamplesPerSecond, 1);
        foreach (var kv in r.Values) d[kv.Key] = kv.Value;
        return d;
    }

    /// <summary>The epoch <see cref="Flatten"/> made (the inverse, for histories stored with checkpoints).</summary>
    public static EpochRecord Unflatten(IReadOnlyDictionary<string, double?> d)
    {
        double Get(string k) => d.TryGetValue(k, out var v) && v is double x ? x : double.NaN;
        var fixedKeys = new HashSet<string> { "epoch", "seconds", "train_loss", "val_loss", "lr", "samples_per_second" };
        return new EpochRecord
        {
            Epoch = (int)Get("epoch"), Seconds = Get("seconds"), TrainLoss = Get("train_loss"), ValLoss = d.GetValueOrDefault("val_loss"),
            LearningRate = Get("lr"), SamplesPerSecond = Get("samples_per_second"),
            TrainMetrics = d.Where(kv => !fixedKeys.Contains(kv.Key) && kv.Key.StartsWith("train_")).ToDictionary(kv => kv.Key[6..], kv => kv.Value ?? double.NaN),
            ValMetrics = d.Where(kv => !fixedKeys.Contains(kv.Key) && kv.Key.StartsWith("val_")).ToDictionary(kv => kv.Key[4..], kv => kv.Value ?? double.NaN),
        };
    }

    /// <summary>Writes the epochs and summary values as JSON (atomically).</summary>
    public static void WriteJson(string path, IReadOnlyList<EpochRecord> epochs, IReadOnlyDictionary<string, object>? summary)
    {
        var root = new JsonObject { ["epochs"] = new JsonArray(epochs.Select(e => (JsonNode)ToJson(Flatten(e))).ToArray()) };
        if (summary is not null)
            foreach (var kv in summary) root[kv.Key] = kv.Value is double x && !double.IsFinite(x) ? null : JsonSerializer.SerializeToNode(kv.Value);
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static JsonObject ToJson(Dictionary<string, double?> d)
    {
        var o = new JsonObject();
        // JSON has no NaN or infinity: a diverged value is written as null.
        foreach (var kv in d) o[kv.Key] = kv.Value is double v && double.IsFinite(v) ? (kv.Key == "epoch" ? JsonValue.Create((int)v) : JsonValue.Create(v)) : null;
        return o;
    }

    /// <summary>Writes the epochs as CSV with a header (atomically).</summary>
    public static void WriteCsv(string path, IReadOnlyList<EpochRecord> epochs)
    {
        var rows = epochs.Select(Flatten).ToList();
        var cols = rows.SelectMany(r => r.Keys).Distinct().ToList();
        var sb = new StringBuilder(string.Join(",", cols)).Append('\n');
        foreach (var r in rows)
            sb.Append(string.Join(",", cols.Select(c => r.TryGetValue(c, out var v) && v is double x ? x.ToString("R", CultureInfo.InvariantCulture) : ""))).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
