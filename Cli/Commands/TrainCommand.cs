using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Reports;
using OnnxKit.Training.Session;
using OnnxKit.Cli.ConsoleOutput;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit train</c>: trains a built-in architecture on a dataset and writes a run folder.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model("mlp", $"architecture: {string.Join(", ", Zoo.Names)}");
        var dataset = CommonOptions.Dataset();
        var epochs = new Option<int?>("--epochs") { Description = "epochs (default: the architecture's recipe — mlp 5, others 3)" };
        var batch = new Option<int?>("--batch-size") { Description = "samples per batch (default: the recipe — 128; cnn 64)" };
        var optimizer = new Option<string>("--optimizer") { Description = "adam, adamw, sgd, rmsprop, adagrad, …", DefaultValueFactory = _ => "adam" };
        var lr = new Option<double?>("--lr") { Description = "learning rate (default: the recipe — 1e-3; cnn 3e-3 peak of one-cycle)" };
        var schedule = new Option<string?>("--schedule") { Description = "constant, cosine, step, exponential, onecycle (default: the recipe — constant; cnn onecycle)" };
        var device = CommonOptions.Device();
        var outDir = CommonOptions.Out("output folder (default runs/<timestamp>/)");
        var seed = new Option<int>("--seed") { Description = "seed of weights and data order", DefaultValueFactory = _ => 0 };
        var valSplit = new Option<double>("--validation-split")
        {
            Description = "fraction of the training data held out (seeded, stratified by class) to validate each epoch and choose best.safetensors; the test split is evaluated once at the end. 0: validate on the test split",
            DefaultValueFactory = _ => 0.1,
        };
        var threads = CommonOptions.Threads();
        var resume = new Option<string?>("--resume") { Description = "continue from a checkpoint written by a previous run (its last.safetensors)" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "also checkpoint every N steps (0: only at epoch ends)", DefaultValueFactory = _ => 0 };
        var plain = new Option<bool>("--plain") { Description = "plain progress lines even on a terminal" };
        var normalize = new Option<string>("--normalize")
        {
            Description = "input preprocessing inside the model: 'standardize' ((x − mean) / std per channel, fitted on the training split) or 'none' (pixels in [0,1] as read)",
            DefaultValueFactory = _ => "standardize",
        };

        var numClasses = new Option<int?>("--num-classes") { Description = "number of classes of a CSV's whole-number labels (needed above 10,000; labels outside [0, N) are refused)" };
        var stopOnDivergence = new Option<bool>("--stop-on-divergence") { Description = "stop (exit code 3) when the loss stays above 100× the first epoch's for 50 steps, instead of only warning" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "the optimizer's weight decay (AdamW and Lion: decoupled; the others: an L2 term in the gradient, as PyTorch); default: the optimizer's own (AdamW 0.01, others 0)" };
        var archParams = new Option<string?>("--arch-params") { Description = "architecture parameters as NAME=VALUE,… (mlp: depth, width, dropout; cnn: channels, kernel, dropout), as onnxkit tune prints them" };

        var augment = AugmentOption.Create();

        var cmd = new Command("train", "Train a model on a dataset; writes artifacts, model.onnx, metrics.json/csv and plots.")
        { model, dataset, epochs, batch, optimizer, lr, schedule, device, outDir, seed, valSplit, threads, resume, checkpointEvery, plain, normalize, numClasses, stopOnDivergence, augment, archParams, weightDecay };
        var privacy = new PrivacyOptions();
        privacy.AddTo(cmd);
        var distributed = new DistributedOptions();
        distributed.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            string arch = pr.GetValue(model)!;
            var recipe = Recipe.For(arch);
            string dir = pr.GetValue(outDir) ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
            return Run(new TrainRequest(arch, pr.GetValue(dataset)!, pr.GetValue(epochs) ?? recipe.Epochs, pr.GetValue(batch) ?? recipe.BatchSize,
                pr.GetValue(optimizer)!, pr.GetValue(lr) ?? recipe.Lr, pr.GetValue(schedule) ?? recipe.Schedule, pr.GetValue(device)!, dir, pr.GetValue(seed), pr.GetValue(valSplit),
                pr.GetResult(threads) is { Implicit: false } ? pr.GetValue(threads) : recipe.Threads ?? pr.GetValue(threads),
                pr.GetValue(resume), pr.GetValue(checkpointEvery), pr.GetValue(plain), pr.GetValue(normalize)!, pr.GetValue(numClasses), pr.GetValue(stopOnDivergence), privacy.Read(pr), pr.GetValue(augment),
                distributed.Read(pr, threads))
                { ArchParams = ArchitectureParameters.Parse(pr.GetValue(archParams)), WeightDecay = pr.GetValue(weightDecay) });
        });
        return cmd;
    }

    /// <summary>
    /// Defaults per architecture when the command line leaves them out. The MLP follows the seed's Keras example
    /// (Adam 1e-3, batch 128, 5 epochs). The CNN gets 3 epochs of one-cycle Adam (peak 3e-3) at batch 64: with the
    /// seed's constant 1e-3 at batch 128 it ends near 0.887 test accuracy after 3 epochs, with this recipe ≥ 0.90
    /// (bench/RESULTS.md). The LSTM takes the CNN's recipe. The MLP's steps are too small for a second ONNX Runtime thread
    /// to pay: it runs on one, with the optimizer update on the host and the next batch written on another core
    /// (<see cref="OnnxKit.Training.Session.TrainingSessionOptions.HostOptimizerUpdate"/>), unless <c>--threads</c> says otherwise.
    /// </summary>
    internal sealed record Recipe(int Epochs, int BatchSize, double Lr, string Schedule, int? Threads = null)
    {
        public static Recipe For(string architecture) => architecture.ToLowerInvariant() switch
        {
            "mlp" => new(5, 128, 1e-3, "constant", Threads: 1),
            "cnn" => new(3, 64, 3e-3, "onecycle"),
            "lstm" => new(3, 64, 3e-3, "onecycle"),
            _ => new(3, 128, 1e-3, "constant"),
        };
    }

    internal sealed record TrainRequest(string Model, string Dataset, int Epochs, int BatchSize, string Optimizer, double Lr, string Schedule,
        string Device, string OutDir, int Seed, double ValidationSplit, int Threads, string? Resume, int CheckpointEvery, bool Plain,
        string Normalize = "standardize", int? NumClasses = null, bool StopOnDivergence = false, PrivacyRequest? Privacy = null, string? Augment = null,
        DistributedRequest? Distributed = null)
    {
        /// <summary>Values for the architecture's parameters (<c>--arch-params</c>).</summary>
        public IReadOnlyDictionary<string, double>? ArchParams { get; init; }
        /// <summary>The optimizer's weight decay (<c>--weight-decay</c>); null keeps the optimizer's default.</summary>
        public double? WeightDecay { get; init; }
        /// <summary>Set when the run is a trial of <c>onnxkit tune</c>: its callbacks and progress; the test split is not evaluated.</summary>
        public TuneTrial? Trial { get; init; }
    }

    /// <summary>
    /// The fitted standardisation layer placed first in the model (Keras' Normalization after adapt()), fitted on the
    /// training part: images get one mean and std per channel (grey [H, W] images one over all pixels), feature
    /// vectors one per feature (as scikit-learn's StandardScaler; a constant feature gets std 1), so the network sees
    /// centred inputs of unit variance — measured in bench/RESULTS.md.
    /// </summary>
    private static OnnxKit.Standardization? InputStandardization(string mode, TensorDataset train)
    {
        switch (mode.ToLowerInvariant())
        {
            case "none": return null;
            case "standardize":
                int groups = train.SampleShape.Length switch { 1 => train.SampleShape[0], 3 => train.SampleShape[0], _ => 1 };
                var (mean, std) = Standardize.Moments(train, groups);
                return new OnnxKit.Standardization(mean, std);
            default: throw new CliException($"--normalize must be 'standardize' or 'none', got '{mode}'");
        }
    }

    /// <summary>What the model expects as input, for its metadata: pixels scaled to [0,1] for images, features as read otherwise.</summary>
    private static string InputScale(TensorDataset train) => train.SampleShape.Length >= 2
        ? "1/255 (pixels scaled to [0,1])"
        : "1 (feature values as read from the file)";

    internal static int Run(TrainRequest r)
    {
        if (r.Epochs < 1) throw new CliException($"--epochs must be at least 1, got {r.Epochs}");
        if (r.BatchSize < 1) throw new CliException($"--batch-size must be at least 1, got {r.BatchSize}");
        CommonOptions.RequireRunnable(r.Device, r.Threads);
        if (!(r.ValidationSplit >= 0 && r.ValidationSplit < 1)) throw new CliException($"--validation-split must lie in [0, 1), got {r.ValidationSplit.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (r.NumClasses is < 1) throw new CliException($"--num-classes must be at least 1, got {r.NumClasses}");
        if (File.Exists(r.OutDir)) throw new CliException($"--out '{r.OutDir}' is an existing file; expected a folder (new or existing)");
        if (r.Resume is not null && !File.Exists(r.Resume)) throw new CliException($"--resume: checkpoint '{r.Resume}' does not exist");
        if (r.Normalize.ToLowerInvariant() is not ("standardize" or "none")) throw new CliException($"--normalize must be 'standardize' or 'none', got '{r.Normalize}'");
        if (!Zoo.Names.Contains(r.Model.ToLowerInvariant())) throw new CliException($"unknown architecture '{r.Model}': expected one of {string.Join(", ", Zoo.Names)}");
        var job = r.Distributed ?? new DistributedRequest("none", 1, null);
        using var world = DistributedOptions.Join(job);
        return DistributedOptions.Run(world, () => Run(r with { Threads = DistributedOptions.Threads(job, r.Threads, world), Distributed = job }, world));
    }

    private static int Run(TrainRequest r, OnnxKit.Training.Distributed.ICommunicator world)
    {
        var optimizer = OptimizerCatalog.Create(r.Optimizer, r.Lr, r.WeightDecay);
        var augmentations = AugmentOption.Parse(r.Augment);
        var splits = DatasetCatalog.Load(r.Dataset, r.NumClasses);
        var train = splits.Train;
        AugmentOption.Check(augmentations, train.SampleShape, r.Dataset);
        int classes = train.NumClasses;
        // Validation is held out of the training split (the test split is evaluated once, at the end), before anything
        // is fitted on the training data.
        var validation = splits.Test;
        if (r.ValidationSplit > 0)
        {
            var held = StratifiedSplit.Split(train, r.ValidationSplit, r.Seed);
            train = held.Train; validation = held.Validation;
        }
        var inputLayer = InputStandardization(r.Normalize, train);
        var network = Zoo.Create(r.Model, train.SampleShape, classes, r.Seed, inputLayer, r.ArchParams);
        int stepsPerEpoch = (train.Count + r.BatchSize - 1) / r.BatchSize;
        var privacy = r.Privacy is null ? null : PrivacyOptions.Plan(r.Privacy, train.Count, r.BatchSize, r.Epochs, stepsPerEpoch);
        if (privacy is not null) optimizer = PrivacyOptions.Wrap(optimizer, privacy, r.BatchSize, r.Seed);
        var metadata = new Dictionary<string, string>
        {
            ["labels"] = JsonSerializer.Serialize(train.ClassNames),
            ["architecture"] = r.Model,
            ["dataset"] = r.Dataset,
            ["input_scale"] = InputScale(train),
        };
        // Informational only: the standardisation is a layer of the graph, so clients still send the input as read
        // (the "normalization" key would ask servers to apply it a second time).
        if (inputLayer is not null)
            metadata["input_standardization"] = JsonSerializer.Serialize(new
            {
                mean = inputLayer.Mean, std = inputLayer.Std, per = train.SampleShape.Length == 1 ? "feature" : train.SampleShape.Length == 3 ? "channel" : "input",
                fitted_on = "training split", inside_model = true,
            });
        bool createdOut = !Directory.Exists(r.OutDir);
        if (world.Rank == 0) Directory.CreateDirectory(r.OutDir);
        try { return Train(r, train, validation, splits, network, optimizer, metadata, classes, privacy, stepsPerEpoch, augmentations, world); }
        catch when (createdOut && world.Rank == 0 && !Directory.EnumerateFileSystemEntries(r.OutDir).Any())
        {
            Directory.Delete(r.OutDir);
            throw;
        }
    }

    private static int Train(TrainRequest r, TensorDataset train, TensorDataset validation, DatasetSplits splits, OnnxKit.Module network,
        OnnxKit.Training.Optimizers.Optimizer optimizer, Dictionary<string, string> metadata, int classes, OnnxKit.Training.Privacy.PrivacyBudget? privacy, int stepsPerEpoch,
        IReadOnlyList<ISampleTransform> augmentations, OnnxKit.Training.Distributed.ICommunicator world)
    {
        // In a job, rank 0 alone reports and writes files; every rank trains and evaluates.
        bool root = world.Rank == 0;
        bool live = r.Trial is null && !r.Plain && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null && world.Size == 1;
        using var spectre = live ? new SpectreProgressReporter() : null;
        IProgressReporter progress = !root ? new SilentProgressReporter() : r.Trial?.Progress ?? (spectre is not null ? spectre : new PlainProgressReporter(Console.Out));
        if (world.Size > 1) progress.Message($"data-parallel over {world.Size} MPI ranks ({r.Threads} ORT thread{(r.Threads == 1 ? "" : "s")} each): each computes its share of every batch of {r.BatchSize}");
        progress.Message($"training {r.Model} on {r.Dataset}: {train.Count} samples, {classes} classes, {r.Epochs} epochs, batch {r.BatchSize}, {optimizer.Name} lr {r.Lr}, output {r.OutDir}");

        using var learner = new Learner(network, optimizer, OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true), [Metrics.Accuracy],
            new TrainingSessionOptions { IntraOpThreads = r.Threads, Device = r.Device, BatchThreads = r.Distributed!.BatchThreads, HostOptimizerUpdate = r.Distributed!.HostUpdate }) { Communicator = world };
        foreach (var kv in metadata) learner.Metadata[kv.Key] = kv.Value;
        string checkpoint = Path.Combine(r.OutDir, "last.safetensors");
        var nanGuard = new TerminateOnNaN();
        var divergence = new DivergenceMonitor(msg => progress.Message($"warning: {msg}"), r.StopOnDivergence);
        var sw = Stopwatch.StartNew();
        if (privacy is not null)
            progress.Message($"DP-SGD: noise multiplier {privacy.NoiseMultiplier:G4}, clip {privacy.MaxGradNorm}, Poisson rate {privacy.SampleRate:G4}, ε = {privacy.EpsilonAfter((long)r.Epochs * stepsPerEpoch):G4} at δ = {privacy.Delta} after {r.Epochs} epochs");
        int stepRows = r.BatchSize * r.Distributed!.AccumulateSteps;
        History history;
        try
        {
        history = learner.Fit(train, new FitOptions
        {
            Epochs = r.Epochs, BatchSize = r.BatchSize, Seed = r.Seed, Validation = validation,
            Schedule = ScheduleCatalog.Create(r.Schedule, r.Lr, r.Epochs, (train.Count + stepRows - 1) / stepRows),
            Progress = progress, ResumeFrom = r.Resume, CheckpointEverySteps = r.CheckpointEvery, CheckpointPath = root ? checkpoint : null,
            AccumulateSteps = r.Distributed!.AccumulateSteps,
            Callbacks = [.. privacy is null ? [] : new Callback[] { privacy }, nanGuard, divergence, .. root ? [new ModelCheckpoint(r.OutDir, monitor: "val_accuracy")] : Array.Empty<Callback>(), .. r.Trial?.Callbacks ?? []],
            Sampler = privacy is null ? null : new OnnxKit.Training.Privacy.PoissonSampler(privacy.SampleRate, (ulong)r.Seed),
            Augmentations = augmentations,
        });
        }
        catch (NotSupportedException e) when (privacy is not null) { throw new CliException(e.Message); }
        double trainSeconds = sw.Elapsed.TotalSeconds;
        bool diverged = nanGuard.Triggered || (r.StopOnDivergence && divergence.Triggered);
        if (nanGuard.Triggered)
        {
            // Keep and export the last finite weights: those of last.safetensors, or the initial ones.
            if (File.Exists(checkpoint)) learner.Session!.LoadState(SafeTensors.Read(checkpoint).Tensors.ToDictionary(t => t.Name));
            else learner.Session!.LoadState(learner.Artifacts!.InitialState);
        }
        else if (root) learner.SaveCheckpoint(checkpoint);

        // A tuning trial is judged on validation only; the test split stays unseen until the winner is retrained.
        var test = r.Trial is null ? learner.Evaluate(splits.Test) : null;
        if (!root) return diverged ? ExitCodes.Diverged : 0;
        learner.Artifacts!.Save(Path.Combine(r.OutDir, "artifacts"));
        learner.Export(Path.Combine(r.OutDir, "model.onnx"));
        var summary = new Dictionary<string, object>
        {
            ["model"] = r.Model, ["dataset"] = r.Dataset, ["optimizer"] = optimizer.Name, ["lr"] = r.Lr, ["batch_size"] = r.BatchSize,
            ["samples_per_second"] = history.Epochs.Count == 0 ? 0 : history.Epochs.Average(e => e.SamplesPerSecond),
            ["train_seconds"] = trainSeconds, ["parameters"] = network.TrainableParameterCount,
            ["world_size"] = world.Size, ["accumulate_steps"] = r.Distributed!.AccumulateSteps, ["batch_threads"] = r.Distributed!.BatchThreads, ["host_update"] = r.Distributed!.HostUpdate,
        };
        if (learner.SplitStepTimes is { Compute.Ticks: > 0 } split)
        {
            // Rank 0's time in the gradient allreduce against its computation: the inputs of the scaling model in docs/distributed.md.
            summary["allreduce_seconds"] = split.Communication.TotalSeconds; summary["compute_seconds"] = split.Compute.TotalSeconds;
        }
        if (test is not null) summary["test_loss"] = test.Loss;
        foreach (var kv in test?.Metrics ?? []) summary["test_" + kv.Key] = kv.Value;
        if (history.StopReason is not null) summary["stopped"] = history.StopReason;
        if (r.Augment is not null) summary["augment"] = r.Augment;
        if (r.WeightDecay is double decay) summary["weight_decay"] = decay;
        if (privacy is not null) summary["privacy"] = privacy.Summary(history.Epochs.Count == 0 ? 0 : history.Epochs[^1].Epoch);
        MetricsFiles.WriteJson(Path.Combine(r.OutDir, "metrics.json"), history.Epochs, summary);
        MetricsFiles.WriteCsv(Path.Combine(r.OutDir, "metrics.csv"), history.Epochs);
        Plots.LearningCurves(Path.Combine(r.OutDir, "learning_curves.png"), history.Epochs);
        if (test?.Confusion is not null) Plots.ConfusionMatrixPng(Path.Combine(r.OutDir, "confusion_matrix.png"), test.Confusion, train.ClassNames);
        if (test is not null) progress.Message($"test loss {test.Loss:F4}" + string.Concat(test.Metrics.Select(kv => $"  test {kv.Key} {kv.Value:F4}")));
        progress.Message($"wrote {Path.Combine(r.OutDir, "model.onnx")}, artifacts/, metrics.json, metrics.csv, learning_curves.png, confusion_matrix.png");
        if (diverged)
        {
            Console.Error.WriteLine($"onnxkit: training diverged ({history.StopReason}); {Path.Combine(r.OutDir, "model.onnx")} holds the last finite weights" +
                (File.Exists(checkpoint) ? $" ({Path.GetFileName(checkpoint)})" : " (the initial ones)") + "; try a lower --lr or --optimizer adam");
            return ExitCodes.Diverged;
        }
        return 0;
    }
}
