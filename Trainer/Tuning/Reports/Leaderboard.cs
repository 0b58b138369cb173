using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxKit.IO;

namespace OnnxKit.Training.Tuning;

/// <summary>
/// A study's trials ranked: complete trials by their objective (best first), then pruned ones by the last value they
/// reported, then failed and unfinished ones. Written as <c>leaderboard.json</c> and <c>leaderboard.csv</c> with
/// one column per parameter.
/// </summary>
public static class Leaderboard
{
    /// <summary>The trials in rank order.</summary>
    public static IReadOnlyList<TrialRecord> Rank(IEnumerable<TrialRecord> trials) => trials
        .OrderBy(t => t.State switch { TrialState.Complete => 0, TrialState.Pruned => 1, TrialState.Failed => 2, _ => 3 })
        .ThenByDescending(t => t.Value ?? double.NegativeInfinity)
        .ThenBy(t => t.Number)
        .ToList();

    /// <summary>The best complete trial, or null when none completed.</summary>
    public static TrialRecord? Best(IEnumerable<TrialRecord> trials) =>
        Rank(trials).FirstOrDefault(t => t.State == TrialState.Complete && t.Value is not null);

    /// <summary>Writes <c>leaderboard.json</c>: <c>{"metric", "trials": [{"rank", "trial", "state", "value", "epochs", "seconds", "seed", "params": {…}, "message"}]}</c>.</summary>
    public static void WriteJson(string path, IEnumerable<TrialRecord> trials, string metric, int studySeed)
    {
        var rows = new JsonArray();
        int rank = 1;
        foreach (var t in Rank(trials))
        {
            var ps = new JsonObject();
            foreach (var kv in t.Parameters ?? new Dictionary<string, object>())
                ps[kv.Key] = kv.Value is double d ? JsonValue.Create(d) : JsonValue.Create(kv.Value.ToString());
            rows.Add(new JsonObject
            {
                ["rank"] = rank++, ["trial"] = t.Number, ["state"] = t.State.ToString().ToLowerInvariant(),
                ["value"] = t.Value is double v && double.IsFinite(v) ? v : null, ["epochs"] = t.Epochs, ["seconds"] = Math.Round(t.Seconds, 2),
                ["seed"] = Study.TrialSeed(studySeed, t.Number), ["params"] = ps, ["message"] = t.Message,
            });
        }
        AtomicFile.WriteAllText(path, new JsonObject { ["metric"] = metric, ["trials"] = rows }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Writes <c>leaderboard.csv</c>: rank, trial, state, the metric, epochs, seconds, seed, then one column per parameter.</summary>
    public static void WriteCsv(string path, IEnumerable<TrialRecord> trials, string metric, int studySeed)
    {
        var ranked = Rank(trials);
        var names = ranked.SelectMany(t => t.Parameters?.Keys ?? []).Distinct().ToList();
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", new[] { "rank", "trial", "state", metric, "epochs", "seconds", "seed" }.Concat(names)));
        int rank = 1;
        foreach (var t in ranked)
        {
            var cells = new List<string>
            {
                (rank++).ToString(CultureInfo.InvariantCulture), t.Number.ToString(CultureInfo.InvariantCulture), t.State.ToString().ToLowerInvariant(),
                t.Value?.ToString("R", CultureInfo.InvariantCulture) ?? "", t.Epochs.ToString(CultureInfo.InvariantCulture),
                t.Seconds.ToString("F2", CultureInfo.InvariantCulture), Study.TrialSeed(studySeed, t.Number).ToString(CultureInfo.InvariantCulture),
            };
            cells.AddRange(names.Select(n => t.Parameters is not null && t.Parameters.TryGetValue(n, out var v)
                ? v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : v.ToString() ?? "" : ""));
            sb.AppendLine(string.Join(",", cells));
        }
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
