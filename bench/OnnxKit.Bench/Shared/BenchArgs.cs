using System.Globalization;

namespace OnnxKit.Bench.Shared;

/// <summary>Minimal <c>--name value</c> / <c>--flag</c> parsing; unknown options are errors so typos do not silently change a run.</summary>
public sealed class BenchArgs
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public BenchArgs(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}' (options are --name value)");
            string name = args[i][2..];
            string? value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            _values[name] = value;
        }
    }

    public string Str(string name, string dflt) { _read.Add(name); return _values.TryGetValue(name, out var v) && v is not null ? v : dflt; }
    public string? StrOrNull(string name) { _read.Add(name); return _values.TryGetValue(name, out var v) ? v : null; }
    public bool Flag(string name) { _read.Add(name); return _values.ContainsKey(name); }

    public int Int(string name, int dflt)
    {
        var s = Str(name, dflt.ToString(CultureInfo.InvariantCulture));
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException($"--{name} expects an integer, got '{s}'");
    }

    /// <summary>An <c>--name on|off</c> switch.</summary>
    public bool OnOff(string name, bool dflt) => Str(name, dflt ? "on" : "off") switch
    {
        "on" => true, "off" => false,
        var other => throw new ArgumentException($"--{name} must be on or off, got '{other}'"),
    };

    public int? IntOrNull(string name) => StrOrNull(name) is null ? null : Int(name, 0);

    /// <summary>Throws for options nobody asked for.</summary>
    public void CheckAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}
