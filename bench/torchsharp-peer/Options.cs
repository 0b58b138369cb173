namespace OnnxKit.Bench.TorchSharpPeer;

/// <summary>A mistake on the command line: reported as one line with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The command line: <c>MODEL [EPOCHS]</c> positionally or as <c>--model</c>, plus window and data options.</summary>
internal sealed record Options(string Model, int Epochs, int Steps, int Runs, int Warmup, int Threads, string Data, bool Json)
{
    private const string Usage = "usage: TorchSharpPeer MODEL [EPOCHS] [--data DIR] [--threads N] [--json]   or   TorchSharpPeer --model MODEL --steps N [--runs K] [--warmup W] [--threads N] [--data DIR]";

    public static Options Parse(string[] args)
    {
        var named = new Dictionary<string, string>();
        var positional = new List<string>();
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json") { json = true; continue; }
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) { positional.Add(args[i]); continue; }
            if (i + 1 >= args.Length) throw new UsageException($"{args[i]} needs a value; {Usage}");
            named[args[i][2..]] = args[++i];
        }
        string? model = named.Remove("model", out var m) ? m : positional.ElementAtOrDefault(0);
        if (model is null) throw new UsageException($"no workload given (one of {string.Join(", ", Models.Names)}); {Usage}");
        if (!Models.Names.Contains(model)) throw new UsageException($"unknown workload '{model}': expected one of {string.Join(", ", Models.Names)}");
        int Int(string name, string? fallback, int min)
        {
            string? s = named.Remove(name, out var v) ? v : fallback;
            if (s is null) return 0;
            if (!int.TryParse(s, out int r) || r < min) throw new UsageException($"--{name} must be an integer ≥ {min}, got '{s}'");
            return r;
        }
        var o = new Options(model, Int("epochs", positional.ElementAtOrDefault(1) ?? "2", 1), Int("steps", null, 0), Int("runs", "3", 1),
            Int("warmup", "5", 0), Int("threads", "2", 1), named.Remove("data", out var d) ? d : Path.Combine("data", "fashion-mnist"), json);
        if (named.Count > 0) throw new UsageException($"unknown option --{named.Keys.First()}; {Usage}");
        if (positional.Count > 2) throw new UsageException($"unexpected argument '{positional[2]}'; {Usage}");
        return o;
    }
}
