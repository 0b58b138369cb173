using System.CommandLine;
using System.Diagnostics;
using OnnxKit.Interop.Transfer;
using OnnxKit.Interop.Weights;
using OnnxKit.IR;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Reports;
using OnnxKit.Training.Session;

namespace OnnxKit.Cli.Commands;

/// <summary>
/// <c>onnxkit finetune MODEL.onnx</c>: fine-tunes an imported model (e.g. exported by PyTorch) on a dataset,
/// optionally with a new classifier head and frozen early layers; writes the fine-tuned <c>model.onnx</c> and
/// <c>checkpoint.safetensors</c> with the PyTorch state_dict names.
/// </summary>
internal static class FinetuneCommand
{
    public static Command Create()
    {
        var modelPath = new Argument<string>("model") { Description = "the ONNX model to fine-tune (one input, the batch)" };
        var dataset = CommonOptions.Dataset();
        var head = new Option<int?>("--replace-head") { Description = "replace the final fully connected layer by a new one with this many outputs" };
        var freezeUpTo = new Option<string?>("--freeze-up-to") { Description = "freeze the weights of every node up to this node, value or module path (e.g. layer3)" };
        var freezePrefix = new Option<string?>("--freeze-prefix") { Description = "freeze the weights whose names start with this prefix (e.g. conv1)" };
        var epochs = new Option<int>("--epochs") { Description = "epochs", DefaultValueFactory = _ => 1 };
        var batch = CommonOptions.BatchSize(64);
        var optimizer = new Option<string>("--optimizer") { Description = "adamw, adam, sgd, …", DefaultValueFactory = _ => "adamw" };
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 1e-3 };
        var seed = new Option<int>("--seed") { Description = "seed of new weights and data order", DefaultValueFactory = _ => 0 };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var outDir = CommonOptions.Out("output folder (default runs/finetune-<timestamp>/)");
        var plain = new Option<bool>("--plain") { Description = "plain progress lines even on a terminal" };
        var layout = CommonOptions.InputLayout();
        var outputLogits = new Option<bool>("--output-logits") { Description = "export the logits: drop the imported model's final Softmax/LogSoftmax (kept by default)" };
        var defaultNames = new Option<bool>("--default-io-names") { Description = "export with input 'input' and output 'output' instead of the imported model's names" };
        var cmd = new Command("finetune", "Fine-tune an imported ONNX model (transfer learning); writes model.onnx, checkpoint.safetensors (PyTorch names) and metrics.json.")
        { modelPath, dataset, head, freezeUpTo, freezePrefix, epochs, batch, optimizer, lr, seed, device, threads, outDir, plain, layout, outputLogits, defaultNames };
        cmd.SetAction(pr => Run(new Request(pr.GetValue(modelPath)!, pr.GetValue(dataset)!, pr.GetValue(head), pr.GetValue(freezeUpTo), pr.GetValue(freezePrefix),
            pr.GetValue(epochs), pr.GetValue(batch), pr.GetValue(optimizer)!, pr.GetValue(lr), pr.GetValue(seed), pr.GetValue(device)!, pr.GetValue(threads),
            pr.GetValue(outDir) ?? Path.Combine("runs", "finetune-" + DateTime.Now.ToString("yyyyMMdd-HHmmss")), pr.GetValue(plain), pr.GetValue(layout)!,
            pr.GetValue(outputLogits), pr.GetValue(defaultNames))));
        return cmd;
    }

    internal sealed record Request(string Model, string Dataset, int? Head, string? FreezeUpTo, string? FreezePrefix, int Epochs, int BatchSize,
        string Optimizer, double Lr, int Seed, string Device, int Threads, string OutDir, bool Plain, string InputLayout = "auto",
        bool OutputLogits = false, bool DefaultIoNames = false);

    internal static int Run(Request r)
    {
        if (r.Epochs < 1) throw new CliException($"--epochs must be at least 1, got {r.Epochs}");
        if (r.BatchSize < 1) throw new CliException($"--batch-size must be at least 1, got {r.BatchSize}");
        if (r.Head is < 1) throw new CliException($"--replace-head must be at least 1, got {r.Head}");
        if (!File.Exists(r.Model)) throw new CliException($"model file '{r.Model}' does not exist");
        CommonOptions.RequireRunnable(r.Device, r.Threads);
        var layout = CommonOptions.ParseInputLayout(r.InputLayout);
        var optimizer = OptimizerCatalog.Create(r.Optimizer, r.Lr);
        var splits = DatasetCatalog.Load(r.Dataset);

        TrainableModel model;
        try
        {
            // Losses take logits: a final Softmax is set apart for training and appended again on export.
            model = OnnxModel.Load(r.Model).MakeTrainable().SeparateOutputActivation();
            model.Seed = r.Seed;
            if (r.Head is int units) model = model.ReplaceHead(units);
            if (r.FreezeUpTo is not null || r.FreezePrefix is not null) model.Freeze(prefix: r.FreezePrefix, upTo: r.FreezeUpTo);
        }
        catch (ArgumentException e) { throw new CliException($"{r.Model}: {e.Message}"); }
        long?[] expected = model.InputType.Shape is { } shape ? shape.Skip(1).Select(d => d.Value).ToArray()
            : throw new CliException($"{r.Model}: input '{model.InputName}' declares no shape");
        TensorDataset train, test;
        try
        {
            train = SampleLayout.Fit(splits.Train, expected, layout, model.InputName);
            test = SampleLayout.Fit(splits.Test, expected, layout, model.InputName);
        }
        catch (ArgumentException e) { throw new CliException($"{r.Model} on '{r.Dataset}': {e.Message}"); }

        Directory.CreateDirectory(r.OutDir);
        bool live = !r.Plain && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
        using var spectre = live ? new ConsoleOutput.SpectreProgressReporter() : null;
        IProgressReporter progress = spectre is not null ? spectre : new PlainProgressReporter(Console.Out);
        foreach (var line in model.Report) progress.Message(line);
        long frozen = model.Parameters().Where(p => !p.IsBuffer && !p.Trainable).Sum(p => p.Data.LongLength);
        progress.Message($"fine-tuning {Path.GetFileName(r.Model)} on {r.Dataset}: {train.Count} samples, {model.TrainableParameterCount} trainable weights ({frozen} frozen), "
            + $"{r.Epochs} epochs, batch {r.BatchSize}, {optimizer.Name} lr {r.Lr}, output {r.OutDir}");

        using var learner = new Learner(model, optimizer, OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true), [Metrics.Accuracy],
            new TrainingSessionOptions { IntraOpThreads = r.Threads, Device = r.Device });
        learner.Metadata["labels"] = System.Text.Json.JsonSerializer.Serialize(train.ClassNames);
        learner.Metadata["finetuned_from"] = Path.GetFileName(r.Model);
        var sw = Stopwatch.StartNew();
        var history = learner.Fit(train, new FitOptions
        {
            Epochs = r.Epochs, BatchSize = r.BatchSize, Seed = r.Seed, Validation = test, Progress = progress,
            Callbacks = [new TerminateOnNaN()],
        });
        double seconds = sw.Elapsed.TotalSeconds;
        var result = learner.Evaluate(test);
        string exported = Path.Combine(r.OutDir, "model.onnx");
        learner.Export(exported);
        var fineTuned = OnnxModel.Load(exported);
        ExportedInterface.Restore(fineTuned, model, names: !r.DefaultIoNames, activation: !r.OutputLogits);
        fineTuned.Save(exported);
        progress.Message($"model.onnx: input '{fineTuned.Graph.Inputs[0].Name}', output '{fineTuned.Graph.Outputs[0].Name}'"
            + (model.OutputActivation is { } act && !r.OutputLogits ? $" after the imported {act.OpType}" : " (logits)"));
        StateDict.Save(model, Path.Combine(r.OutDir, "checkpoint.safetensors"));
        learner.Artifacts!.Save(Path.Combine(r.OutDir, "artifacts"));
        var summary = new Dictionary<string, object>
        {
            ["model"] = r.Model, ["dataset"] = r.Dataset, ["optimizer"] = optimizer.Name, ["lr"] = r.Lr, ["batch_size"] = r.BatchSize,
            ["test_loss"] = result.Loss, ["train_seconds"] = seconds, ["trainable_parameters"] = model.TrainableParameterCount, ["frozen_parameters"] = frozen,
        };
        if (r.Head is int h) summary["replaced_head"] = h;
        foreach (var kv in result.Metrics) summary["test_" + kv.Key] = kv.Value;
        if (history.StopReason is not null) summary["stopped"] = history.StopReason;
        MetricsFiles.WriteJson(Path.Combine(r.OutDir, "metrics.json"), history.Epochs, summary);
        progress.Message($"test loss {result.Loss:F4}" + string.Concat(result.Metrics.Select(kv => $"  test {kv.Key} {kv.Value:F4}")));
        progress.Message($"wrote {Path.Combine(r.OutDir, "model.onnx")}, checkpoint.safetensors, artifacts/, metrics.json");
        return 0;
    }
}
