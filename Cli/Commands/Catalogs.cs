using OnnxKit.Modules;
using OnnxKit.Training.Data;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Schedules;
using OnnxKit.Zoo;

namespace OnnxKit.Cli.Commands;

/// <summary>Architectures by name (the Builder's model zoo).</summary>
internal static class Zoo
{
    public static IReadOnlyList<string> Names => ModelZoo.Names;

    public static Module Create(string name, IReadOnlyList<int> sampleShape, int classes, int seed)
    {
        try { return ModelZoo.Create(name, sampleShape, classes, seed); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }
}

/// <summary>Optimizers by command-line name, with their PyTorch defaults for everything but the learning rate.</summary>
internal static class OptimizerCatalog
{
    public static readonly string[] Names = ["adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adamax", "nadam", "lion"];

    public static Optimizer Create(string name, double lr)
    {
        if (lr <= 0) throw new CliException($"--lr must be positive, got {lr}");
        return name.ToLowerInvariant() switch
        {
            "adam" => Optimizers.Adam(lr),
            "adamw" => Optimizers.AdamW(lr),
            "sgd" => Optimizers.Sgd(lr),
            "momentum" => Optimizers.Sgd(lr, momentum: 0.9),
            "nesterov" => Optimizers.Sgd(lr, momentum: 0.9, nesterov: true),
            "rmsprop" => Optimizers.RmsProp(lr),
            "adagrad" => Optimizers.Adagrad(lr),
            "adamax" => Optimizers.Adamax(lr),
            "nadam" => Optimizers.NAdam(lr),
            "lion" => Optimizers.Lion(lr),
            _ => throw new CliException($"unknown optimizer '{name}': expected one of {string.Join(", ", Names)}"),
        };
    }
}
