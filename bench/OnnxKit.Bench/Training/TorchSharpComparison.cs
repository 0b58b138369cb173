using System.Globalization;
using System.Text.Json.Nodes;
using OnnxKit.Bench.Shared;

namespace OnnxKit.Bench.Training;

/// <summary>
/// Training speed and peak memory, OnnxKit against TorchSharp (libtorch), one process per run: for each workload and round
/// an OnnxKit process (<see cref="TrainOne"/>) and a process of the peer in <c>bench/torchsharp-peer</c>, alternating
/// which goes first from round to round so that a change in the machine's load falls on both sides; prints the medians
/// over rounds, their ratio and each side's peak RSS.
/// </summary>
public sealed class TorchSharpComparison : IBenchmark
{
    public string Name => "train-torchsharp";
    public string Description => "training s/epoch and peak RSS, OnnxKit vs TorchSharp, alternating processes: --models … --rounds 3 --steps N --warmup N --threads 2 --omp-wait passive|active|default --spinning on|off --batch-threads N --host-update on|off --ours-threads N --runner DOTNET --peer DLL";

    public int Run(string[] argv)
    {
        var a = new BenchArgs(argv);
        var models = a.Str("models", string.Join(",", Workloads.All)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        int rounds = a.Int("rounds", 3), threads = a.Int("threads", 2);
        int? steps = a.IntOrNull("steps"), warmupOption = a.IntOrNull("warmup");
        string ompWait = a.Str("omp-wait", "passive");
        bool spinning = a.OnOff("spinning", true);
        // OnnxKit's TrainingSessionOptions.BatchThreads (its default unless given).
        int batchThreads = a.Int("batch-threads", new OnnxKit.Training.Session.TrainingSessionOptions().BatchThreads);
        bool hostUpdate = a.OnOff("host-update", new OnnxKit.Training.Session.TrainingSessionOptions().HostOptimizerUpdate);
        // ORT threads of the OnnxKit process (default: the CLI recipe's — one for the MLP — else --threads); the process
        // is given --threads cores either way.
        int? ourThreadsOption = a.IntOrNull("ours-threads");
        // libtorch needs a newer libstdc++ than some distributions ship; --runner names a dotnet host that can load it.
        string runner = a.Str("runner", Environment.GetEnvironmentVariable("ONNXKIT_TORCHSHARP_DOTNET") ?? "dotnet");
        string peer = a.Str("peer", Path.Combine(Env.RepoRoot, "bench", "torchsharp-peer", "bin", "Release", "net10.0", "TorchSharpPeer.dll"));
        a.CheckAllRead();
        foreach (var m in models)
            if (!Workloads.All.Contains(m)) throw new ArgumentException($"unknown workload '{m}': expected some of {string.Join(", ", Workloads.All)}");
        if (rounds < 1) throw new ArgumentException($"--rounds must be at least 1, got {rounds}");
        if (!File.Exists(peer)) throw new ArgumentException($"the TorchSharp peer {peer} does not exist: build it with `dotnet build bench/torchsharp-peer -c Release` or pass --peer DLL");
        // libtorch's OpenMP workers spin between parallel regions by default; on a machine whose cores are shared with
        // other work that spinning starves the worker that has the work, so the peer runs with passive waiting unless told.
        if (ompWait is not ("passive" or "active" or "default")) throw new ArgumentException($"--omp-wait must be passive, active or default, got '{ompWait}'");
        if (ompWait != "default") Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", ompWait.ToUpperInvariant());

        Console.WriteLine($"training speed: Fashion-MNIST, batch 128, Adam 1e-3, {threads} threads; OnnxKit (ORT threads {ourThreadsOption?.ToString() ?? $"{threads}, the MLP 1 (its recipe)"}, spinning {(spinning ? "on" : "off")}, batch threads {batchThreads}, host update {(hostUpdate ? "on" : "off")}) vs TorchSharp (OMP_WAIT_POLICY {ompWait}), " +
                          $"{rounds} alternating rounds of one process per side; s/epoch = s/step of one window × {Workloads.StepsPerEpoch}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical CPUs, {TrainBenchmark.Cpu()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {Load()}");
        var (self, prefix) = Env.Self();
        var rows = new List<string[]>();
        foreach (var model in models)
        {
            int n = steps ?? Workloads.DefaultSteps(model);
            int warmup = warmupOption ?? Workloads.DefaultWarmup(model);
            string[] common = ["--steps", $"{n}", "--runs", "1", "--warmup", $"{warmup}"];
            int ourThreads = ourThreadsOption ?? (model == "mlp" ? 1 : threads);
            string[] ourOptions = ["--spinning", spinning ? "on" : "off", "--batch-threads", $"{batchThreads}", "--host-update", hostUpdate ? "on" : "off"];
            var ours = new List<JsonObject?>();
            var theirs = new List<JsonObject?>();
            var loads = new List<string>();
            for (int r = 0; r < rounds; r++)
            {
                JsonObject? Ours() => Env.RunJson(self, [.. prefix, "train-one", "--model", model, .. common, .. ourOptions, "--threads", $"{ourThreads}"], 3600);
                JsonObject? Theirs() => Env.RunJson(runner, [peer, "--model", model, "--data", Env.FashionMnist, .. common, "--threads", $"{threads}"], 3600);
                loads.Add(Load());
                if (r % 2 == 0) { ours.Add(Ours()); theirs.Add(Theirs()); }
                else { theirs.Add(Theirs()); ours.Add(Ours()); }
                Console.WriteLine($"- {model} round {r + 1}: OnnxKit {Fmt(Epoch(ours[^1]))} s, TorchSharp {Fmt(Epoch(theirs[^1]))} s (load {loads[^1]})");
            }
            double o = Median(ours, Epoch), t = Median(theirs, Epoch);
            rows.Add([model, $"{n}", Fmt(o) + " s", Range(ours), Fmt(t) + " s", Range(theirs),
                      double.IsNaN(o) || double.IsNaN(t) ? "–" : $"{t / o:F2}×",
                      Fmt(Median(ours, Rss), "F0") + " MB", Fmt(Median(theirs, Rss), "F0") + " MB", string.Join(" · ", loads)]);
        }
        Console.WriteLine();
        Table.Print(["workload", "steps per window", "OnnxKit s/epoch", "range", "TorchSharp s/epoch", "range", "ratio (TorchSharp / OnnxKit)",
                     "RSS OnnxKit", "RSS TorchSharp", "1-min load at each round"], rows);
        return 0;
    }

    private static double Epoch(JsonObject? r) => r?["seconds_per_epoch"] is JsonArray { Count: > 0 } xs ? Env.Median(xs.Select(x => x!.GetValue<double>())) : double.NaN;

    private static double Rss(JsonObject? r) => r?["peak_rss_mb"] is { } v ? v.GetValue<double>() : double.NaN;

    private static double Median(List<JsonObject?> runs, Func<JsonObject?, double> f) => Env.Median(runs.Select(f).Where(v => !double.IsNaN(v)));

    private static string Range(List<JsonObject?> runs)
    {
        var v = runs.Select(Epoch).Where(x => !double.IsNaN(x)).ToList();
        return v.Count == 0 ? "–" : $"{Fmt(v.Min())}–{Fmt(v.Max())}";
    }

    private static string Fmt(double v, string f = "F2") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    private static string Load()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }
}
