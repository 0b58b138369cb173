using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OnnxKit.Bench.Shared;
using OnnxKit.Bench.Training;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Data;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using OnnxKit.Zoo;

namespace OnnxKit.Bench.Gpu;

/// <summary>
/// One epoch of a zoo model on one device through <see cref="TrainingSession"/>, for <c>bench/gpu/check.sh</c>: the
/// batches in file order (the same on every device), Dropout's ratio set to 0 in the step (ORT's CPU and CUDA
/// kernels draw different masks, so losses could not be compared otherwise), every step's loss written to a file,
/// and one <c>key=value</c> line: samples/s after a warm-up, the training accuracy (counted in the graph on a device,
/// as <c>Fit</c> does), the bytes of each step's host inputs (batch and step scalars, which ORT copies to the device as
/// feeds) and, from ORT's profile, the bytes its copy nodes move between
/// host and device inside the graph (around any node left on the CPU) and how many nodes the CPU provider ran.
/// </summary>
public sealed class GpuCheck : IBenchmark
{
    public string Name => "gpu-check";
    public string Description => "one epoch on --device cpu|cuda[:N], losses to --losses FILE (--model, --batch, --steps, --warmup, --threads, --profile DIR)";

    public int Run(string[] argv)
    {
        var a = new BenchArgs(argv);
        string model = a.Str("model", "mlp"), device = a.Str("device", "cpu");
        string losses = a.StrOrNull("losses") ?? throw new ArgumentException("--losses FILE is required");
        int batch = a.Int("batch", 128), warmup = a.Int("warmup", 10), threads = a.Int("threads", Environment.ProcessorCount);
        int? stepsArg = a.IntOrNull("steps");
        string? profile = a.StrOrNull("profile");
        a.CheckAllRead();

        var options = new TrainingSessionOptions { Device = device, IntraOpThreads = threads };
        if (options.DeviceProblem("or run with --device cpu") is { } problem) throw new ArgumentException($"--device {device}: {problem}");
        var data = Datasets.FashionMnist(Env.FashionMnist, download: false).Train;
        var network = ModelZoo.Create(model, data.SampleShape, data.NumClasses, seed: 0);
        var type = new TensorType(ElementType.Float32, new Shape([Dim.Sym("batch"), .. data.SampleShape.Select(d => Dim.Of(d))]));
        var adam = new Adam(1e-3);
        var artifacts = TrainingArtifacts.Create(network, type, OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true), adam);
        int zeroed = ZeroDropout(artifacts.TrainStep);
        string? prefix = profile is null ? null : Path.Combine(Directory.CreateDirectory(profile).FullName, $"{model}_{device.Replace(':', '_')}");
        var accuracy = OnnxKit.Metrics.Accuracy;
        using var session = new TrainingSession(artifacts, adam, options with { ProfilePrefix = prefix }, [accuracy]);

        int steps = Math.Min(stepsArg ?? int.MaxValue, data.Count / batch);
        var x = new float[batch * data.SampleSize];
        var y = new long[batch];
        var lossValues = new List<float>(steps);
        var sw = new Stopwatch();
        for (int s = 0; s < steps; s++)
        {
            if (s == warmup) sw.Start();
            data.Features.AsSpan(s * batch * data.SampleSize, batch * data.SampleSize).CopyTo(x);
            Array.Copy(data.Labels!, s * batch, y, 0, batch);
            lossValues.Add(session.Step(x, y, batch, 1e-3));
            session.UpdateMetrics([accuracy], y, batch);
        }
        sw.Stop();
        File.WriteAllLines(losses, lossValues.Select(l => l.ToString("R", CultureInfo.InvariantCulture)));
        double samplesPerSecond = steps > warmup ? (steps - warmup) * batch / sw.Elapsed.TotalSeconds : double.NaN;
        session.Dispose();   // ends the profile

        // The batch, the learning rate and Adam's int64 step counter (kept in host memory beside the device-resident float state).
        long feedBytes = (long)batch * data.SampleSize * sizeof(float) + batch * sizeof(long) + sizeof(float) + sizeof(long);
        string line = FormattableString.Invariant($"model={model} device={device} steps={steps} dropout_zeroed={zeroed} samples_per_s={samplesPerSecond:F0} train_accuracy={accuracy.Result():F4} feed_bytes_per_step={feedBytes}");
        if (prefix is not null && ProfileSummary.Latest(prefix) is { } file)
        {
            var (h2d, d2h, cpuNodes) = Transfers(file);
            line += FormattableString.Invariant($" graph_h2d_bytes_per_step={h2d:F0} graph_d2h_bytes_per_step={d2h:F0} cpu_nodes={cpuNodes}");
        }
        Console.WriteLine(line);
        return 0;
    }

    /// <summary>Sets every Dropout's ratio to 0 (mask all ones, scale 1), keeping the node and its mask for the gradient.</summary>
    private static int ZeroDropout(OnnxModel step)
    {
        var dropouts = step.Graph.Nodes.Where(n => n.OpType == "Dropout").ToList();
        if (dropouts.Count == 0) return 0;
        const string zero = "gpu_check/zero_ratio";
        step.Graph.Initializers.Add(new Initializer(TensorData.Scalar(zero, ElementType.Float32, 0)));
        foreach (var n in dropouts)
        {
            if (n.Inputs.Count < 2) n.Inputs.Add(zero); else n.Inputs[1] = zero;
            n.Remove("ratio");   // the pre-12 attribute form, if any
        }
        // The old ratio constants are now read by nothing; drop them so ORT does not warn about each.
        var read = step.Graph.Nodes.SelectMany(n => n.Inputs).Concat(step.Graph.Outputs.Select(o => o.Name)).ToHashSet();
        var inputs = step.Graph.Inputs.Select(i => i.Name).ToHashSet();
        step.Graph.Initializers.RemoveAll(i => !read.Contains(i.Name) && !inputs.Contains(i.Name));
        return dropouts.Count;
    }

    /// <summary>
    /// From an ORT profile: bytes per run written by the copy nodes ORT inserts between devices (MemcpyFromHost,
    /// MemcpyToHost; their output_size), and the number of distinct non-copy nodes the CPU provider ran.
    /// </summary>
    private static (double H2D, double D2H, int CpuNodes) Transfers(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        long h2d = 0, d2h = 0; int runs = 0;
        var cpu = new HashSet<string>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            string name = e.GetProperty("name").GetString() ?? "";
            if (name == "model_run") { runs++; continue; }
            if (!e.TryGetProperty("args", out var args) || !args.TryGetProperty("op_name", out var op)) continue;
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            long size = !args.TryGetProperty("output_size", out var o) ? 0
                : o.ValueKind == JsonValueKind.Number ? o.GetInt64() : long.TryParse(o.GetString(), out var v) ? v : 0;
            switch (op.GetString())
            {
                case "MemcpyFromHost": h2d += size; break;
                case "MemcpyToHost": d2h += size; break;
                default:
                    if (args.TryGetProperty("provider", out var p) && p.GetString() == "CPUExecutionProvider") cpu.Add(name);
                    break;
            }
        }
        return runs == 0 ? (0, 0, cpu.Count) : (h2d / (double)runs, d2h / (double)runs, cpu.Count);
    }
}
