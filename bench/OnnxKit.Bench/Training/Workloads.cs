namespace OnnxKit.Bench.Training;

/// <summary>The training workloads: ModelZoo names, and how many steps a default timing window covers.</summary>
internal static class Workloads
{
    /// <summary>Fashion-MNIST's 60 000 training samples in batches of 128.</summary>
    public const int StepsPerEpoch = 469;

    public static readonly string[] All = ["mlp", "cnn", "resnet-small", "transformer-small"];

    /// <summary>Default steps per timing window: a whole epoch where that is cheap, else enough steps for a stable median.</summary>
    public static int DefaultSteps(string model) => model switch
    {
        "mlp" => StepsPerEpoch,
        "cnn" => 60,
        "resnet-small" => 30,
        _ => 40,
    };
}
