using System.CommandLine;

namespace OnnxKit.Cli.Commands;

/// <summary>Options shared by several commands, spelled the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Model(string dflt, string description) => new("--model") { Description = description, DefaultValueFactory = _ => dflt };
    public static Option<string> Dataset() => new("--dataset") { Description = "fashion-mnist (shipped), mnist, kmnist, cifar10, a CSV file or an image folder", DefaultValueFactory = _ => "fashion-mnist" };
    public static Option<int> BatchSize(int dflt = 128) => new("--batch-size") { Description = "samples per batch", DefaultValueFactory = _ => dflt };
    public static Option<string> Device() => new("--device") { Description = "cpu, cuda or cuda:N (cuda needs the GPU build: -p:OnnxKitGpu=true)", DefaultValueFactory = _ => "cpu" };

    /// <summary>
    /// Fails with one line naming the option at fault (<c>--threads</c> or <c>--device</c>) and the problem when these
    /// session settings cannot run here — before any data is read or folder made.
    /// </summary>
    public static void RequireRunnable(string device, int threads)
    {
        if (new OnnxKit.Training.Session.TrainingSessionOptions { Device = device, IntraOpThreads = threads }.Problem("or use --device cpu") is { } problem)
            throw new CliException(problem.Setting switch
            {
                nameof(OnnxKit.Training.Session.TrainingSessionOptions.IntraOpThreads) => $"--threads {problem.Message}",
                _ => $"--device {device}: {problem.Message}",
            });
    }
    public static Option<string?> Out(string description) => new("--out") { Description = description };
    public static Option<string> InputLayout() => new("--input-layout") { Description = "how the model wants image samples: auto (decide from the shapes), nchw (channels first) or nhwc (channels last)", DefaultValueFactory = _ => "auto" };

    /// <summary>The <c>--input-layout</c> value, or a one-line error naming the choices.</summary>
    public static OnnxKit.Interop.Transfer.InputLayout ParseInputLayout(string value) => value.ToLowerInvariant() switch
    {
        "auto" => OnnxKit.Interop.Transfer.InputLayout.Auto,
        "nchw" => OnnxKit.Interop.Transfer.InputLayout.Nchw,
        "nhwc" => OnnxKit.Interop.Transfer.InputLayout.Nhwc,
        _ => throw new CliException($"--input-layout must be auto, nchw or nhwc, got '{value}'"),
    };
    public static Option<int> Threads() => new("--threads") { Description = "ONNX Runtime intra-op threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
}
