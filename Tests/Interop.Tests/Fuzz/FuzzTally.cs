using System.Text;
using System.Text.RegularExpressions;

namespace OnnxKit.Tests.Interop.Fuzz;

/// <summary>Counts what each reader did with each mutant (loaded, refused by class of error) and collects the violations.</summary>
internal sealed partial class FuzzTally
{
    private readonly SortedDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _kinds = new(StringComparer.Ordinal);
    private TimeSpan _slowest;

    /// <summary>Undocumented exceptions, hostile files that loaded, cases over the time limit.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Runs one reader on one mutant and records the outcome.</summary>
    public void Run(string reader, Mutant m, string where, Action read, Func<Exception, bool> documented)
    {
        try
        {
            read();
            Count(reader, "loaded");
            if (m.ReadsOutside) Violations.Add($"{where}: {reader} loaded a model whose weight lies outside its folder");
        }
        catch (Exception e) when (documented(e))
        {
            Count(reader, $"{e.GetType().Name}: {Classify(e.Message)}");
        }
        catch (Exception e)
        {
            Count(reader, $"UNDOCUMENTED {e.GetType().Name}");
            Violations.Add($"{where}: {reader} threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    public void Elapsed(Mutant m, string where, TimeSpan t, TimeSpan limit)
    {
        _kinds[m.Kind] = _kinds.GetValueOrDefault(m.Kind) + 1;
        if (t > _slowest) _slowest = t;
        if (t > limit) Violations.Add($"{where}: took {t.TotalSeconds:F1} s, over the {limit.TotalSeconds} s limit");
    }

    private void Count(string reader, string outcome)
    {
        string key = $"{reader,-9}  {outcome}";
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
    }

    /// <summary>A short class for an error message: the first of a list of known phrases, else its text without names and numbers.</summary>
    private static string Classify(string message)
    {
        string[] phrases =
        [
            "truncated or corrupt protobuf", "not a valid ONNX model", "has no graph", "is negative", "overflow", "not an ONNX tensor type",
            "raw_data has", "holds both raw_data", "values, but", "has a cycle", "dangling input", "defined twice", "listed twice",
            "not computed by any node", "outside the model's folder", "must be a relative path", "symbolic link", "is missing beside the model",
            "external data length", "external data offset", "bytes from offset", "imports no standard", "imports operator set domain",
            "warm-up run failed", "ONNX Runtime could not load",
        ];
        foreach (var p in phrases) if (message.Contains(p, StringComparison.Ordinal)) return p;
        string s = Quoted().Replace(message, "'…'");
        s = Numbers().Replace(s, "N");
        return s.Length > 90 ? s[..90] + "…" : s;
    }

    public string Report()
    {
        var b = new StringBuilder();
        foreach (var (k, v) in _counts) b.AppendLine($"  {v,5}  {k}");
        b.AppendLine("  mutants by kind: " + string.Join(", ", _kinds.Select(kv => $"{kv.Key} {kv.Value}")));
        b.AppendLine($"  slowest case {_slowest.TotalMilliseconds:F0} ms; {Violations.Count} violations");
        return b.ToString();
    }

    [GeneratedRegex("'[^']*'")] private static partial Regex Quoted();
    [GeneratedRegex(@"-?\d+")] private static partial Regex Numbers();
}
