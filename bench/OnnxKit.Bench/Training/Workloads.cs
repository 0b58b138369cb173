namespace OnnxKit.Bench.Training;

/// <summary>The training workloads: ModelZoo names, and how many steps a default timing window covers.</summary>
internal static class Workloads
{
    /// <summary>Fashion-MNIST's 60 000 training samples in batches of 128.</summary>
    public const int StepsPerEpoch = 469;

    public static readonly string[] All = ["mlp", "cnn", "resnet-small", "transformer-small", "lstm"];

    /// <summary>Default steps per timing window: a whole epoch where that is cheap, else enough steps for a stable median.</summary>
    public static int DefaultSteps(string model) => model switch
    {
        "mlp" => StepsPerEpoch,
        "cnn" => 60,
        "resnet-small" => 30,
        _ => 40,
    };

    /// <summary>
    /// Default steps per PyTorch window. Debian's PyTorch 1.13 multiplies matrices slowly (its MLP epoch takes seconds,
    /// a transformer step seconds), so its windows are shorter to keep the default run within minutes; times are per step.
    /// </summary>
    public static int DefaultTorchSteps(string model) => model switch
    {
        "mlp" => 100,
        "cnn" => 40,
        "resnet-small" => 10,
        _ => 3,
    };

    /// <summary>
    /// Default OnnxKit warm-up steps. For the MLP a whole epoch: its steps take under a millisecond, and for the first
    /// second or so .NET re-compiles the graph-building code at tier 1 on a background thread, which on two cores
    /// slows the first ~900 steps by about 20 %. The warm-up's own time per step is reported as well.
    /// </summary>
    public static int DefaultWarmup(string model) => model == "mlp" ? StepsPerEpoch : 5;

    /// <summary>Default PyTorch warm-up steps (its first steps are much slower; the slow models get fewer).</summary>
    public static int DefaultTorchWarmup(string model) => model is "mlp" or "cnn" ? 5 : 2;
}
