using System.Globalization;
using System.Text.Json.Nodes;
using OnnxKit.Bench.Shared;

namespace OnnxKit.Bench.Training;

/// <summary>
/// Training speed, OnnxKit against PyTorch 1.13, in one invocation: for each workload one OnnxKit process
/// (<see cref="TrainOne"/>) and one PyTorch process (<c>bench/pytorch_bench.py</c>), each timing <c>--runs</c> windows of
/// <c>--steps</c> steps after a warm-up; prints medians scaled to an epoch of 469 steps, the ratio and peak RSS.
/// </summary>
public sealed class TrainBenchmark : IBenchmark
{
    public string Name => "train";
    public string Description => "training s/epoch, OnnxKit vs PyTorch 1.13: --models mlp,cnn,resnet-small,transformer-small --runs 3 --steps N --torch-steps N --warmup N (5; MLP 469) --no-torch --profile DIR";

    public int Run(string[] argv)
    {
        var a = new BenchArgs(argv);
        var models = a.Str("models", string.Join(",", Workloads.All)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        int runs = a.Int("runs", 3), threads = a.Int("threads", 2);
        int? warmupOption = a.IntOrNull("warmup");
        int? steps = a.IntOrNull("steps"), torchSteps = a.IntOrNull("torch-steps");
        bool torch = !a.Flag("no-torch");
        string? profile = a.StrOrNull("profile");
        a.CheckAllRead();
        foreach (var m in models)
            if (!Workloads.All.Contains(m)) throw new ArgumentException($"unknown workload '{m}': expected some of {string.Join(", ", Workloads.All)}");

        Console.WriteLine($"training speed: Fashion-MNIST, batch 128, Adam 1e-3, {threads} threads; {runs} windows per workload after {(warmupOption is { } w ? $"{w}" : "5 (MLP: 469)")} warm-up steps; " +
                          $"s/epoch = median s/step × {Workloads.StepsPerEpoch}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical CPUs, {Cpu()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var rows = new List<string[]>();
        var (self, prefix) = Env.Self();
        foreach (var model in models)
        {
            int n = steps ?? Workloads.DefaultSteps(model);
            int warmup = warmupOption ?? Workloads.DefaultWarmup(model);
            string common = $"--steps {n} --runs {runs} --warmup {warmup} --threads {threads}";
            Console.WriteLine($"- {model} …");
            List<string> args = [.. prefix, "train-one", "--model", model, .. common.Split(' ')];
            if (profile is not null) args.AddRange(["--profile", profile]);
            var ours = Env.RunJson(self, args, 1800);
            JsonObject? peer = null;
            int tn = torchSteps ?? Workloads.DefaultTorchSteps(model);
            int tw = Math.Min(warmupOption ?? 5, Workloads.DefaultTorchWarmup(model));
            if (torch)
                peer = Env.RunJson(Env.Python, [Path.Combine(Env.RepoRoot, "bench", "pytorch_bench.py"), "--data", Env.FashionMnist, "--model", model,
                    "--steps", $"{tn}", "--runs", $"{runs}", "--warmup", $"{tw}", "--threads", $"{threads}"], 3600);
            double o = Epoch(ours), p = Epoch(peer);
            double warm = ours?["warmup_seconds_per_step"] is { } ws ? ws.GetValue<double>() * Workloads.StepsPerEpoch : double.NaN;
            rows.Add([model, torch ? $"{n} / {tn}" : $"{n}", Fmt(o, "F2") + " s", Spread(ours), Fmt(warm, "F2") + " s", Fmt(p, "F2") + " s", Spread(peer),
                      double.IsNaN(o) || double.IsNaN(p) ? "–" : $"{p / o:F2}×", Mb(ours), Mb(peer),
                      ours is null ? "–" : $"{ours["gc0_per_step"]!.GetValue<double>():F3} / {ours["alloc_bytes_per_step"]!.GetValue<double>() / 1024:F1} KiB"]);
        }
        Console.WriteLine();
        Table.Print(["workload", "steps per window (OnnxKit / PyTorch)", "OnnxKit s/epoch", "range", "warm-up s/epoch", "PyTorch s/epoch", "range", "speed-up", "RSS OnnxKit", "RSS PyTorch", "gen0 GCs / alloc per step"], rows);
        return 0;
    }

    private static double Epoch(JsonObject? r) => r?["seconds_per_epoch"] is JsonArray xs ? Env.Median(xs.Select(x => x!.GetValue<double>())) : double.NaN;

    private static string Spread(JsonObject? r) => r?["seconds_per_epoch"] is JsonArray xs && xs.Count > 0
        ? $"{xs.Min(x => x!.GetValue<double>()):F2}–{xs.Max(x => x!.GetValue<double>()):F2}" : "–";

    private static string Mb(JsonObject? r) => r?["peak_rss_mb"] is { } v ? $"{v.GetValue<double>():F0} MB" : "–";

    private static string Fmt(double v, string f) => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    internal static string Cpu()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"; }
        catch (IOException) { return "unknown CPU"; }
    }
}
