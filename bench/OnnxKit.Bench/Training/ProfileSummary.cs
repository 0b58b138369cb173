using System.Globalization;
using System.Text.Json;

namespace OnnxKit.Bench.Training;

/// <summary>
/// Reads an ONNX Runtime profile (SessionOptions.EnableProfiling: a JSON array of trace events) and prints the median
/// time per step of each node and the totals per operator type, slowest first.
/// </summary>
public static class ProfileSummary
{
    /// <summary>One node's median time per run.</summary>
    public sealed record NodeTime(string Node, string Op, string Shape, double Ms);

    /// <summary>
    /// The profile ORT wrote for <see cref="Microsoft.ML.OnnxRuntime.SessionOptions.ProfileOutputPathPrefix"/>
    /// <paramref name="prefix"/> (it appends a timestamp; the newest wins), or null when there is none.
    /// </summary>
    public static string? Latest(string prefix) =>
        Directory.GetFiles(Path.GetDirectoryName(prefix)!, Path.GetFileName(prefix) + "*.json").OrderBy(File.GetLastWriteTimeUtc).LastOrDefault();

    /// <summary>The median of the runs after <paramref name="skipRuns"/> (ms) and every node's median time per run, slowest first.</summary>
    public static (double MedianRunMs, int Runs, List<NodeTime> Nodes) Read(string file, int skipRuns = 0)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        var runs = new List<double>();
        var perNode = new Dictionary<string, (string Op, string Shape, List<double> Us)>();
        int run = -1;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            string cat = e.TryGetProperty("cat", out var c) ? c.GetString() ?? "" : "";
            string name = e.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
            double dur = e.TryGetProperty("dur", out var d) ? d.GetDouble() : 0;
            if (cat == "Session" && name == "model_run") { runs.Add(dur); continue; }
            if (cat == "Session" && name.StartsWith("SequentialExecutor", StringComparison.Ordinal)) { run++; continue; }
            if (cat != "Node" || !name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            if (run < skipRuns) continue;
            string node = name[..^"_kernel_time".Length];
            var args = e.GetProperty("args");
            string op = args.TryGetProperty("op_name", out var opn) ? opn.GetString() ?? "?" : "?";
            string shape = args.TryGetProperty("output_type_shape", out var sh) ? Shapes(sh) : "";
            if (!perNode.TryGetValue(node, out var entry)) perNode[node] = entry = (op, shape, []);
            entry.Us.Add(dur);
        }
        var rows = perNode.Select(kv => new NodeTime(kv.Key, kv.Value.Op, kv.Value.Shape, Median(kv.Value.Us) / 1000)).OrderByDescending(r => r.Ms).ToList();
        return (Median(runs.Skip(skipRuns).ToList()) / 1000, runs.Count, rows);
    }

    public static void Print(string file, TextWriter o, int skipRuns = 0, int top = 30)
    {
        var (medianRun, runCount, rows) = Read(file, skipRuns);
        o.WriteLine($"profile {Path.GetFileName(file)}: {runCount} runs, median run {medianRun:F2} ms (after {skipRuns} skipped)");
        o.WriteLine($"sum of node medians {rows.Sum(r => r.Ms):F2} ms; slowest nodes:");
        foreach (var r in rows.Take(top)) o.WriteLine($"  {r.Ms,7:F2} ms  {r.Op,-22} {r.Node,-48} {r.Shape}");
        o.WriteLine("by operator type:");
        foreach (var g in rows.GroupBy(r => r.Op).Select(g => (Op: g.Key, Ms: g.Sum(r => r.Ms), Count: g.Count())).OrderByDescending(g => g.Ms).Take(top))
            o.WriteLine($"  {g.Ms,7:F2} ms  {g.Op,-22} ×{g.Count}");
    }

    private static string Shapes(JsonElement outputs)
    {
        var parts = new List<string>();
        if (outputs.ValueKind != JsonValueKind.Array) return "";
        foreach (var o in outputs.EnumerateArray())
            foreach (var p in o.EnumerateObject())
                parts.Add("[" + string.Join(",", p.Value.EnumerateArray().Select(v => v.GetInt64().ToString(CultureInfo.InvariantCulture))) + "]");
        return string.Join(" ", parts);
    }

    internal static double Median(List<double> xs)
    {
        if (xs.Count == 0) return 0;
        var a = xs.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}
