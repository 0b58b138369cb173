using System.Diagnostics;
using System.Text.Json.Nodes;
using OnnxKit.Bench.Shared;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using OnnxKit.Zoo;

namespace OnnxKit.Bench.Training;

/// <summary>
/// One OnnxKit training workload in this process (the <c>train</c> suite starts one process per workload, so each has
/// its own peak RSS): the real <see cref="OnnxKit.Training.Fit.Learner.Fit(OnnxKit.Training.Data.TensorDataset, OnnxKit.Training.Fit.FitOptions)"/> path, Adam 1e-3, batch 128, timed in windows of N steps after
/// a warm-up. Prints one JSON line.
/// </summary>
public sealed class TrainOne : IBenchmark
{
    public string Name => "train-one";
    public string Description => "one OnnxKit training workload in this process, JSON out (--model, --steps, --runs, --warmup, --threads, --profile DIR, --opt-level all|extended|basic|none, --blocked-conv on|off, --spinning on|off, --spin-us N, --batch-threads N, --host-update on|off, --accuracy)";

    public int Run(string[] argv)
    {
        var a = new BenchArgs(argv);
        string model = a.Str("model", "mlp");
        int steps = a.Int("steps", Workloads.DefaultSteps(model)), runs = a.Int("runs", 3), warmup = a.Int("warmup", 5);
        int threads = a.Int("threads", 2), batch = a.Int("batch", 128);
        string? profile = a.StrOrNull("profile");
        bool accuracy = a.Flag("accuracy");
        var level = a.Str("opt-level", "all") switch
        {
            "all" => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
            "extended" => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "basic" => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "none" => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
            var other => throw new ArgumentException($"--opt-level must be all, extended, basic or none, got '{other}'"),
        };
        bool blocked = a.OnOff("blocked-conv", true), spinning = a.OnOff("spinning", true);
        int? spinMicroseconds = a.IntOrNull("spin-us");
        int batchThreads = a.Int("batch-threads", new TrainingSessionOptions().BatchThreads);
        bool hostUpdate = a.OnOff("host-update", new TrainingSessionOptions().HostOptimizerUpdate);
        a.CheckAllRead();

        var data = Datasets.FashionMnist(Env.FashionMnist, download: false);
        var build = Stopwatch.StartNew();
        var network = ModelZoo.Create(model, data.Train.SampleShape, data.Train.NumClasses, seed: 0);
        string? prefix = profile is null ? null : Path.Combine(Directory.CreateDirectory(profile).FullName, $"{model}_train");
        var learner = new Learner(network, new Adam(1e-3), OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true), [Metrics.Accuracy],
            new TrainingSessionOptions { IntraOpThreads = threads, ProfilePrefix = prefix, OptimizationLevel = level, BlockedConvolutions = blocked, AllowSpinning = spinning, SpinMicroseconds = spinMicroseconds, BatchThreads = batchThreads, HostOptimizerUpdate = hostUpdate });
        learner.Build(data.Train.SampleShape);
        double buildSeconds = build.Elapsed.TotalSeconds;

        int total = warmup + runs * steps;
        int stepsPerEpoch = (data.Train.Count + batch - 1) / batch;
        var timer = new WindowTimer(warmup, steps, total);
        learner.Fit(data.Train, new FitOptions
        {
            Epochs = (total + stepsPerEpoch - 1) / stepsPerEpoch, BatchSize = batch, Seed = 0, Callbacks = [timer],
        });
        double? testAccuracy = accuracy ? learner.Evaluate(data.Test).Metrics.GetValueOrDefault("accuracy") : null;
        double rss = Env.PeakRssMb();
        learner.Dispose();

        var perStep = timer.Windows.Select(w => w / steps).ToList();
        var result = new JsonObject
        {
            ["framework"] = "onnxkit", ["model"] = model, ["steps_per_window"] = steps, ["build_seconds"] = buildSeconds,
            ["seconds_per_step"] = new JsonArray([.. perStep.Select(s => (JsonNode)s)]),
            ["cpu_seconds_per_step"] = new JsonArray([.. timer.CpuWindows.Select(s => (JsonNode)(s / steps))]),
            ["seconds_per_epoch"] = new JsonArray([.. perStep.Select(s => (JsonNode)(s * stepsPerEpoch))]),
            ["gc0_per_step"] = timer.Gc0 / (double)(runs * steps), ["gc2_per_step"] = timer.Gc2 / (double)(runs * steps),
            ["alloc_bytes_per_step"] = timer.AllocatedBytes / (double)(runs * steps),
            ["peak_rss_mb"] = rss,
            ["gather_seconds_per_step"] = GatherSeconds(data.Train, batch),
            ["warmup_seconds_per_step"] = double.IsNaN(timer.WarmupSecondsPerStep) ? null : timer.WarmupSecondsPerStep,
        };
        if (testAccuracy is not null) result["test_accuracy"] = testAccuracy;
        if (prefix is not null)
        {
            var file = ProfileSummary.Latest(prefix);
            if (file is not null)
            {
                result["profile"] = file;
                ProfileSummary.Print(file, Console.Error, skipRuns: warmup);
            }
        }
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    // What the Learner does on the training thread before each step: copy a shuffled batch into the bound buffer.
    // Measured apart so that the share a background loader could hide is known.
    private static double GatherSeconds(TensorDataset d, int batch)
    {
        var rng = new Random(1);
        var features = new float[batch * d.SampleSize];
        var labels = new long[batch];
        const int reps = 200;
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < batch; i++)
            {
                int idx = rng.Next(d.Count);
                d.Features.AsSpan(idx * d.SampleSize, d.SampleSize).CopyTo(features.AsSpan(i * d.SampleSize));
                labels[i] = d.Labels![idx];
            }
        return sw.Elapsed.TotalSeconds / reps;
    }

    /// <summary>Times consecutive windows of <c>steps</c> batch ends after <c>warmup</c> of them, then stops training.</summary>
    private sealed class WindowTimer(int warmup, int steps, int total) : Callback
    {
        private readonly Stopwatch _sw = new();
        private readonly Stopwatch _warm = new();
        private int _seen;
        /// <summary>Seconds per step of the warm-up steps (the first epoch's start: JIT and arena warm-up included).</summary>
        public double WarmupSecondsPerStep => warmup > 1 ? _warm.Elapsed.TotalSeconds / (warmup - 1) : double.NaN;
        private int _gc0, _gc2;
        private long _alloc;
        public List<double> Windows { get; } = [];
        /// <summary>Process CPU seconds (all threads) per window: on a shared machine less disturbed than wall time by other processes.</summary>
        public List<double> CpuWindows { get; } = [];
        private TimeSpan _cpu;
        public int Gc0 { get; private set; }
        public int Gc2 { get; private set; }
        public long AllocatedBytes { get; private set; }

        public override void OnBatchEnd(TrainingContext ctx, long step, float loss)
        {
            _seen++;
            if (_seen == 1) _warm.Start(); // from the end of the first step (session start-up excluded)
            if (_seen == warmup) { _warm.Stop(); Start(); }
            else if (_seen > warmup && (_seen - warmup) % steps == 0)
            {
                Windows.Add(_sw.Elapsed.TotalSeconds);
                CpuWindows.Add((Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds);
                Gc0 += GC.CollectionCount(0) - _gc0; Gc2 += GC.CollectionCount(2) - _gc2;
                AllocatedBytes += GC.GetTotalAllocatedBytes(precise: false) - _alloc;
                Start();
            }
            if (_seen >= total) ctx.StopTraining = true;
        }

        public override void OnTrainBegin(TrainingContext ctx) { if (warmup == 0) Start(); }

        private void Start()
        {
            _gc0 = GC.CollectionCount(0); _gc2 = GC.CollectionCount(2); _alloc = GC.GetTotalAllocatedBytes(precise: false);
            _cpu = Process.GetCurrentProcess().TotalProcessorTime;
            _sw.Restart();
        }
    }
}
