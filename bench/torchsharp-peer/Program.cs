using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OnnxKit.Bench.TorchSharpPeer;
using static TorchSharp.torch;

// The TorchSharp side of `bench train`: ModelZoo's workloads trained on Fashion-MNIST, batch 128, Adam 1e-3, a fresh
// random order each epoch. Two modes:
//   TorchSharpPeer MODEL EPOCHS [--data DIR] [--threads N]      whole epochs; the first is the warm-up, the rest are timed
//   TorchSharpPeer --model M --steps N --runs K --warmup W ...  bench/pytorch_bench.py's window protocol, one JSON line
// Exit code 2 and one line on a usage mistake.
const int Batch = 128;
try
{
    var o = Options.Parse(args);
    set_num_threads(o.Threads);
    manual_seed(0);
    var (x, y) = FashionMnist.LoadTrain(o.Data);
    int n = (int)y.shape[0];
    var model = Models.Create(o.Model);
    model.train();
    var opt = optim.Adam(model.parameters(), lr: 1e-3);
    int perEpoch = (n + Batch - 1) / Batch;

    void Epoch(Func<bool> afterStep)
    {
        using var perm = randperm(n);
        for (int i = 0; i < n; i += Batch)
        {
            using var scope = NewDisposeScope();
            var idx = perm.narrow(0, i, Math.Min(Batch, n - i));
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, idx)), y.index_select(0, idx));
            loss.backward();
            opt.step();
            if (!afterStep()) return;
        }
    }

    string framework = $"torchsharp {typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3)} (libtorch {__version__})";
    if (o.Steps > 0)
    {
        var windows = new List<double>();
        int done = 0, total = o.Warmup + o.Runs * o.Steps;
        var sw = new Stopwatch();
        bool Step()
        {
            done++;
            if (done == o.Warmup) sw.Restart();
            else if (done > o.Warmup && (done - o.Warmup) % o.Steps == 0) { windows.Add(sw.Elapsed.TotalSeconds); sw.Restart(); }
            return done < total;
        }
        if (o.Warmup == 0) sw.Start();
        while (done < total) Epoch(Step);
        var perStep = windows.Select(w => w / o.Steps).ToArray();
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["framework"] = framework, ["model"] = o.Model, ["steps_per_window"] = o.Steps, ["seconds_per_step"] = perStep,
            ["seconds_per_epoch"] = perStep.Select(s => s * perEpoch).ToArray(), ["peak_rss_mb"] = PeakRssMb(),
        }));
        return 0;
    }

    var epochs = new List<double>();
    for (int e = 0; e < o.Epochs; e++)
    {
        var sw = Stopwatch.StartNew();
        Epoch(() => true);
        epochs.Add(sw.Elapsed.TotalSeconds);
    }
    var timed = epochs.Skip(1).ToArray();
    double median = timed.Length == 0 ? double.NaN : timed.Order().ElementAt(timed.Length / 2);
    if (timed.Length % 2 == 0 && timed.Length > 0) median = (timed.Order().ElementAt(timed.Length / 2 - 1) + median) / 2;
    string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
    Console.WriteLine($"{framework}, {o.Threads} threads, Fashion-MNIST, batch {Batch}, Adam 1e-3; epoch 1 is the warm-up");
    Console.WriteLine("| workload | epochs timed | TorchSharp s/epoch | range | warm-up s/epoch | RSS TorchSharp |");
    Console.WriteLine("|---|---|---|---|---|---|");
    Console.WriteLine($"| {o.Model} | {timed.Length} | {(timed.Length == 0 ? "–" : F(median) + " s")} | " +
                      $"{(timed.Length == 0 ? "–" : $"{F(timed.Min())}–{F(timed.Max())}")} | {F(epochs[0])} s | {PeakRssMb():F0} MB |");
    if (o.Json)
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["framework"] = framework, ["model"] = o.Model, ["warmup_seconds"] = epochs[0], ["seconds_per_epoch"] = timed, ["peak_rss_mb"] = PeakRssMb(),
        }));
    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// The process's peak resident set (VmHWM), in MB, as the other sides of the benchmark report it.
static double PeakRssMb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
    return double.NaN;
}
