using OnnxKit.Training.Data;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Schedules;
using OnnxKit.Zoo;

namespace OnnxKit.Cli.Commands;

/// <summary>Architectures by name (the Builder's model zoo).</summary>
internal static class Zoo
{
    public static IReadOnlyList<string> Names => ModelZoo.Names;

    public static Module Create(string name, IReadOnlyList<int> sampleShape, int classes, int seed, Module? input = null, IReadOnlyDictionary<string, double>? architecture = null)
    {
        try { return ModelZoo.Create(name, sampleShape, classes, seed, input, architecture); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }
}

/// <summary>Optimizers by command-line name (the library's <see cref="Optimizers.ByName"/>).</summary>
internal static class OptimizerCatalog
{
    public static IReadOnlyList<string> Names => Optimizers.Names;

    public static Optimizer Create(string name, double lr, double? weightDecay = null)
    {
        if (lr <= 0) throw new CliException($"--lr must be positive, got {lr}");
        if (weightDecay is double wd && !(wd >= 0)) throw new CliException($"--weight-decay must be 0 or more, got {wd}");
        try { return Optimizers.ByName(name, lr, weightDecay); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }
}

/// <summary>Datasets by command-line name or path (the library's <see cref="Datasets.ByName"/>).</summary>
internal static class DatasetCatalog
{
    public static DatasetSplits Load(string name, int? numClasses = null)
    {
        try { return Datasets.ByName(name, numClasses); }
        catch (Exception e) when (e is InvalidDataException or FormatException or DatasetNotFoundException or IOException or ArgumentException)
        {
            throw new CliException(e.Message);
        }
    }
}

/// <summary>Learning-rate schedules by command-line name (the library's <see cref="Schedules.ByName"/>).</summary>
internal static class ScheduleCatalog
{
    public static ILearningRateSchedule? Create(string name, double lr, int epochs, int stepsPerEpoch)
    {
        try { return Schedules.ByName(name, lr, epochs, stepsPerEpoch); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }
}
