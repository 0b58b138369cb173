using System.Diagnostics;
using System.Text.Json.Nodes;
using OnnxKit.Bench.Shared;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Privacy;
using OnnxKit.Training.Session;
using OnnxKit.Zoo;

namespace OnnxKit.Bench.Training;

/// <summary>
/// The DP-SGD recipe's network and optimizer (cnn-tanh, input standardised, SGD momentum 0.9 lr 4, expected batch 2048)
/// through the real <see cref="Learner.Fit(TensorDataset, FitOptions)"/> path, private (Poisson batches, clip 0.1, σ 1.559) or not (shuffled
/// batches), timed per step after a warm-up. One JSON line: median seconds per step and per epoch; with --profile the
/// ORT per-node summary on stderr, with the DP graph's nodes grouped by scope.
/// </summary>
public sealed class DpStep : IBenchmark
{
    public string Name => "dp-step";
    public string Description => "DP-SGD recipe step time, JSON out (--private on|off, --sampler poisson|fixed, --steps N, --warmup N, --batch N, --threads N, --noise S, --clip C, --profile DIR)";

    public int Run(string[] argv)
    {
        var a = new BenchArgs(argv);
        bool isPrivate = a.OnOff("private", true);
        // fixed: DP-SGD's graph on shuffled batches of exactly --batch rows (not private: only to time the cost of
        // batches whose size changes every step).
        bool poisson = a.Str("sampler", isPrivate ? "poisson" : "fixed") switch
        {
            "poisson" => true, "fixed" => false, var other => throw new ArgumentException($"--sampler must be poisson or fixed, got '{other}'"),
        };
        int steps = a.Int("steps", 12), warmup = a.Int("warmup", 3), batch = a.Int("batch", 2048), threads = a.Int("threads", 2);
        double noise = double.Parse(a.Str("noise", "1.559"), System.Globalization.CultureInfo.InvariantCulture);
        double clip = double.Parse(a.Str("clip", "0.1"), System.Globalization.CultureInfo.InvariantCulture);
        string? profile = a.StrOrNull("profile");
        a.CheckAllRead();

        var data = Datasets.FashionMnist(Env.FashionMnist, download: false);
        var (mean, std) = Standardize.Moments(data.Train, data.Train.SampleShape[0]);
        var network = ModelZoo.Create("cnn-tanh", data.Train.SampleShape, data.Train.NumClasses, seed: 0, new OnnxKit.Standardization(mean, std));
        Optimizer optimizer = Optimizers.Sgd(4, momentum: 0.9);
        DpSgd? dp = isPrivate ? new DpSgd(optimizer, noise, clip, batch, seed: 0) : null;
        if (dp is not null) optimizer = dp;
        string? prefix = profile is null ? null : Path.Combine(Directory.CreateDirectory(profile).FullName, isPrivate ? "dp_train" : "plain_train");
        using var learner = new Learner(network, optimizer, OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true), [Metrics.Accuracy],
            new TrainingSessionOptions { IntraOpThreads = threads, ProfilePrefix = prefix });
        var build = Stopwatch.StartNew();
        learner.Build(data.Train.SampleShape);
        double buildSeconds = build.Elapsed.TotalSeconds;

        int stepsPerEpoch = (data.Train.Count + batch - 1) / batch;
        var timer = new StepTimer(warmup, steps);
        learner.Fit(data.Train, new FitOptions
        {
            Epochs = (warmup + steps + stepsPerEpoch - 1) / stepsPerEpoch + 1, BatchSize = batch, Seed = 0, Callbacks = [timer],
            Sampler = poisson ? new PoissonSampler((double)batch / data.Train.Count, 0) : null,
        });
        var timed = timer.Seconds.Skip(warmup).ToList();
        double median = ProfileSummary.Median(timed);
        var result = new JsonObject
        {
            ["private"] = isPrivate, ["sampler"] = poisson ? "poisson" : "fixed", ["batch"] = batch, ["threads"] = threads, ["steps"] = timed.Count, ["build_seconds"] = buildSeconds,
            ["median_seconds_per_step"] = median, ["median_seconds_per_epoch"] = median * stepsPerEpoch,
            ["seconds_per_step"] = new JsonArray([.. timed.Select(s => (JsonNode)s)]),
            // Process CPU seconds (all threads) per timed step: less disturbed by other processes than wall time.
            ["cpu_seconds_per_step"] = timer.CpuSeconds / timed.Count,
        };
        if (prefix is not null)
        {
            learner.Dispose();   // ORT writes the profile when the session closes
            var file = ProfileSummary.Latest(prefix);
            if (file is not null)
            {
                result["profile"] = file;
                ProfileSummary.Print(file, Console.Error, skipRuns: warmup, top: 40);
                var (medianRun, _, nodes) = ProfileSummary.Read(file, warmup);
                result["median_run_seconds"] = medianRun / 1000;
                // The DP graph names its parts by scope (PerExampleGradients, DpSgd); everything else is the forward and
                // backward pass (loss gradients at each layer's output and the unfolded convolution inputs included).
                double Seconds(Func<string, bool> node) => nodes.Where(n => node(n.Node)).Sum(n => n.Ms) / 1000;
                bool In(string node, string scope) => node.StartsWith(scope, StringComparison.Ordinal);
                var scopes = new[] { ("per_example_norms", "dp/norm/"), ("clip_and_sum", "dp/clipped_sum/"), ("noise_in_graph", "dp/noise/") };
                var parts = new JsonObject();
                foreach (var (part, scope) in scopes) parts[part] = Seconds(n => In(n, scope));
                parts["clip_coefficients"] = Seconds(n => In(n, "dp/") && !scopes.Any(s => In(n, s.Item2)));
                parts["forward_backward"] = Seconds(n => !In(n, "dp/"));
                parts["run_outside_nodes"] = medianRun / 1000 - nodes.Sum(n => n.Ms) / 1000;
                result["node_seconds"] = parts;
            }
        }
        if (dp is not null)
        {
            // The host's share of the noise: drawing one step's standard normals.
            var values = new float[network.Parameters().Where(p => p.Trainable).Sum(p => p.Data.Length)];
            var sw = Stopwatch.StartNew();
            for (int k = 0; k < 20; k++) dp.FillNoise(k, values);
            result["host_noise_seconds_per_step"] = sw.Elapsed.TotalSeconds / 20;
        }
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    /// <summary>
    /// Wall time between consecutive batch ends, and the process CPU time over the steps after <c>warmup</c>; stops
    /// training after <c>warmup + steps</c> steps.
    /// </summary>
    private sealed class StepTimer(int warmup, int steps) : Callback
    {
        private readonly Stopwatch _sw = new();
        private TimeSpan _cpuStart;
        public List<double> Seconds { get; } = [];
        public double CpuSeconds { get; private set; }

        public override void OnTrainBegin(TrainingContext ctx)
        {
            _sw.Restart();
            if (warmup == 0) _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        }

        public override void OnBatchEnd(TrainingContext ctx, long step, float loss)
        {
            Seconds.Add(_sw.Elapsed.TotalSeconds);
            _sw.Restart();
            if (Seconds.Count == warmup) _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            if (Seconds.Count >= warmup + steps)
            {
                CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalSeconds;
                ctx.StopTraining = true;
            }
        }
    }
}
