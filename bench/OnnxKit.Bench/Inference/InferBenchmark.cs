using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using OnnxKit.Bench.Shared;
using OnnxKit.Bench.Training;
using OnnxKit.Inference;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Optimizers;
using OnnxKit.Zoo;

namespace OnnxKit.Bench.Inference;

/// <summary>
/// Inference throughput (samples/s) at batch 1 and 128: the exported inference model of each ModelZoo workload served by
/// <see cref="Predictor"/>, against the same PyTorch 1.13 module in eval mode under <c>torch.no_grad()</c>. Weights are the
/// untrained initial ones (speed does not depend on them).
/// </summary>
public sealed class InferBenchmark : IBenchmark
{
    public string Name => "infer";
    public string Description => "inference samples/s at batch 1 and 128, OnnxKit Predictor vs PyTorch 1.13: --models … --runs 3 --calls1 300 --calls128 20 --no-torch";

    public int Run(string[] argv)
    {
        var a = new BenchArgs(argv);
        var models = a.Str("models", string.Join(",", Workloads.All)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        int runs = a.Int("runs", 3), calls1 = a.Int("calls1", 300), calls128 = a.Int("calls128", 20), threads = a.Int("threads", 2);
        bool torch = !a.Flag("no-torch");
        a.CheckAllRead();
        Console.WriteLine($"inference speed: Fashion-MNIST test images, {threads} threads, {runs} windows of {calls1} calls at batch 1 and {calls128} at batch 128 (medians)");
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical CPUs, {TrainBenchmark.Cpu()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var data = Datasets.FashionMnist(Env.FashionMnist, download: false).Test;
        var rows = new List<string[]>();
        string dir = Directory.CreateTempSubdirectory("onnxkit-infer-").FullName;
        try
        {
            foreach (var model in models)
            {
                if (!Workloads.All.Contains(model)) throw new ArgumentException($"unknown workload '{model}': expected some of {string.Join(", ", Workloads.All)}");
                Console.WriteLine($"- {model} …");
                string path = Path.Combine(dir, model + ".onnx");
                using (var learner = new Learner(ModelZoo.Create(model, data.SampleShape, data.NumClasses), new Adam(), OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true)))
                {
                    learner.Build(data.SampleShape);
                    learner.Export(path);
                }
                using var predictor = Predictor.Load(path, new PredictorOptions { IntraOpThreads = threads });
                double r1 = Env.Median(Rates(predictor, data, 1, calls1, runs)), r128 = Env.Median(Rates(predictor, data, 128, calls128, runs));
                double t1 = double.NaN, t128 = double.NaN;
                if (torch)
                {
                    var peer = Env.RunJson(Env.Python, [Path.Combine(Env.RepoRoot, "bench", "pytorch_bench.py"), "--data", Env.FashionMnist, "--model", model, "--infer",
                        "--steps", $"{calls1}", "--steps128", $"{calls128}", "--runs", $"{runs}", "--warmup", "5", "--threads", $"{threads}"], 1800);
                    if (peer is not null)
                    {
                        t1 = Env.Median(((JsonArray)peer["samples_per_second_batch1"]!).Select(x => x!.GetValue<double>()));
                        t128 = Env.Median(((JsonArray)peer["samples_per_second_batch128"]!).Select(x => x!.GetValue<double>()));
                    }
                }
                rows.Add([model, F(r1), F(t1), Ratio(r1, t1), F(r128), F(t128), Ratio(r128, t128)]);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
        Console.WriteLine();
        Table.Print(["workload", "batch 1 OnnxKit /s", "batch 1 PyTorch /s", "ratio", "batch 128 OnnxKit /s", "batch 128 PyTorch /s", "ratio"], rows);
        return 0;
    }

    private static List<double> Rates(Predictor p, TensorDataset data, int batch, int calls, int runs)
    {
        long[] shape = [batch, .. data.SampleShape.Select(d => (long)d)];
        var input = TensorValue.FromFloats(data.Features.AsSpan(0, batch * data.SampleSize).ToArray(), shape);
        for (int i = 0; i < 5; i++) p.Predict(input);
        var rates = new List<double>();
        for (int r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) p.Predict(input);
            rates.Add(calls * batch / sw.Elapsed.TotalSeconds);
        }
        return rates;
    }

    private static string F(double v) => double.IsNaN(v) ? "–" : v.ToString("F0", CultureInfo.InvariantCulture);
    private static string Ratio(double ours, double theirs) => double.IsNaN(ours) || double.IsNaN(theirs) ? "–" : $"{ours / theirs:F2}×";
}
