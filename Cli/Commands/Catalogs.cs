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

    public static Module Create(string name, IReadOnlyList<int> sampleShape, int classes, int seed, Module? input = null)
    {
        try { return ModelZoo.Create(name, sampleShape, classes, seed, input); }
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

/// <summary>Datasets by command-line name or path.</summary>
internal static class DatasetCatalog
{
    public static DatasetSplits Load(string name, int? numClasses = null)
    {
        try
        {
            return name.ToLowerInvariant() switch
            {
                "fashion-mnist" or "fashion_mnist" or "fashionmnist" => Datasets.FashionMnist(download: false),
                "mnist" => Datasets.Mnist(),
                "kmnist" => Datasets.Kmnist(),
                "cifar10" or "cifar-10" => Datasets.Cifar10(),
                _ when File.Exists(name) && (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)) =>
                    SplitOff(Datasets.FromCsv(name, new CsvOptions { NumClasses = numClasses })),
                _ when Directory.Exists(name) => SplitOff(Datasets.FromImageFolder(name)),
                _ => throw new CliException($"unknown dataset '{name}': expected fashion-mnist, mnist, kmnist, cifar10, a .csv/.tsv file or an image folder"),
            };
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or DatasetNotFoundException or IOException or ArgumentException)
        {
            throw new CliException(e.Message);
        }
    }

    // A single file or folder has no test split: hold out 20% (seeded) as the test set.
    private static DatasetSplits SplitOff(TensorDataset all)
    {
        var s = all.Split(0.8, seed: 0);
        return new DatasetSplits(s.Train, s.Validation);
    }
}

/// <summary>Learning-rate schedules by command-line name.</summary>
internal static class ScheduleCatalog
{
    public static ILearningRateSchedule? Create(string name, double lr, int epochs, int stepsPerEpoch) => name.ToLowerInvariant() switch
    {
        "constant" or "none" => null,
        "cosine" => new CosineAnnealingLR(lr, epochs),
        "step" => new StepLR(lr, Math.Max(1, epochs / 3)),
        "exponential" => new ExponentialLR(lr, 0.9),
        "onecycle" => new OneCycleLR(lr, epochs * stepsPerEpoch),
        _ => throw new CliException($"unknown schedule '{name}': expected constant, cosine, step, exponential or onecycle"),
    };
}
