using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OnnxKit.IO;
using OnnxKit.Cli.ConsoleOutput;
using OnnxKit.Training.Reports;
using OnnxKit.Training.Tuning;
using OnnxKit.Zoo;

namespace OnnxKit.Cli.Commands;

/// <summary>
/// <c>onnxkit tune</c>: searches hyper-parameters (and architecture sizes) with TPE or random sampling and ASHA
/// pruning; each trial is an <c>onnxkit train</c> run judged on the validation split. The study lives in a SQLite
/// file that several processes can share and that a killed run resumes from.
/// </summary>
internal static class TuneCommand
{
    private const string Metric = "accuracy";

    internal sealed record TuneRequest(string Model, string Dataset, string? Space, string Sampler, string Pruner, int MinEpochs, int Eta, int MaxEpochs,
        string Budget, int Workers, int Threads, int Seed, string Study, string StudyName, string OutDir, double ValidationSplit, string Normalize,
        string Device, bool Plain);

    public static Command Create()
    {
        var model = CommonOptions.Model("mlp", $"architecture: {string.Join(", ", ModelZoo.Names)} (built-in spaces for {string.Join(", ", SearchSpaces.Families)}; others need --space)");
        var dataset = CommonOptions.Dataset();
        var space = new Option<string?>("--space") { Description = "search space file (JSON or YAML: name → {type: float|int|categorical, low, high, log, choices, when}); default: the model's built-in space" };
        var sampler = new Option<string>("--sampler") { Description = "tpe or random", DefaultValueFactory = _ => "tpe" };
        var pruner = new Option<string>("--pruner") { Description = "asha or none", DefaultValueFactory = _ => "asha" };
        var minEpochs = new Option<int>("--min-epochs") { Description = "ASHA's first rung (epochs)", DefaultValueFactory = _ => 1 };
        var eta = new Option<int>("--eta") { Description = "ASHA's reduction factor: the top 1/eta of each rung continues", DefaultValueFactory = _ => 3 };
        var maxEpochs = new Option<int>("--max-epochs") { Description = "epochs of a trial that is not pruned", DefaultValueFactory = _ => 9 };
        var budget = new Option<string>("--budget") { Description = "wall time (90s, 10m, 1h) or a number of trials in the study (30)", DefaultValueFactory = _ => "20" };
        var workers = new Option<int>("--workers") { Description = "trials run at once; --threads are divided among them", DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.Threads();
        var seed = new Option<int>("--seed") { Description = "study seed: trial k draws its values and trains with a seed derived from it and k", DefaultValueFactory = _ => 0 };
        var study = new Option<string>("--study") { Description = "SQLite study file, shared by processes given the same file and resumed when it exists", DefaultValueFactory = _ => Path.Combine("runs", "tune", "study.db") };
        var studyName = new Option<string>("--study-name") { Description = "study within the file", DefaultValueFactory = _ => "default" };
        var outDir = CommonOptions.Out("output folder: trials/, leaderboard.json/.csv, best/, plots (default runs/tune/)");
        var valSplit = new Option<double>("--validation-split") { Description = "fraction of the training data held out to judge trials (the test split is never used)", DefaultValueFactory = _ => 0.1 };
        var normalize = new Option<string>("--normalize") { Description = "as onnxkit train: standardize or none", DefaultValueFactory = _ => "standardize" };
        var device = CommonOptions.Device();
        var plain = new Option<bool>("--plain") { Description = "plain lines even on a terminal" };
        var cmd = new Command("tune", "Search hyper-parameters (TPE/random, ASHA pruning) over onnxkit train runs; writes a leaderboard, best/ and plots.")
        { model, dataset, space, sampler, pruner, minEpochs, eta, maxEpochs, budget, workers, threads, seed, study, studyName, outDir, valSplit, normalize, device, plain };
        cmd.SetAction(pr => Run(new TuneRequest(pr.GetValue(model)!, pr.GetValue(dataset)!, pr.GetValue(space), pr.GetValue(sampler)!, pr.GetValue(pruner)!,
            pr.GetValue(minEpochs), pr.GetValue(eta), pr.GetValue(maxEpochs), pr.GetValue(budget)!, pr.GetValue(workers), pr.GetValue(threads), pr.GetValue(seed),
            pr.GetValue(study)!, pr.GetValue(studyName)!, pr.GetValue(outDir) ?? Path.Combine("runs", "tune"), pr.GetValue(valSplit), pr.GetValue(normalize)!,
            pr.GetValue(device)!, pr.GetValue(plain))));
        return cmd;
    }

    /// <summary>A budget: a wall time with a unit (s, m, h) or a whole number of trials.</summary>
    internal static (TimeSpan? Time, int? Trials) ParseBudget(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1) return (null, n);
        if (t.Length >= 2 && t[^1] is 's' or 'm' or 'h' && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v))
            return (t[^1] switch { 's' => TimeSpan.FromSeconds(v), 'm' => TimeSpan.FromMinutes(v), _ => TimeSpan.FromHours(v) }, null);
        throw new CliException($"--budget: expected a wall time such as 90s, 10m or 1h, or a number of trials such as 30; got '{text}'");
    }

    private static int Run(TuneRequest r)
    {
        if (!ModelZoo.Names.Contains(r.Model.ToLowerInvariant())) throw new CliException($"unknown architecture '{r.Model}': expected one of {string.Join(", ", ModelZoo.Names)}");
        var (time, trials) = ParseBudget(r.Budget);
        if (r.Workers < 1) throw new CliException($"--workers must be at least 1, got {r.Workers}");
        if (r.MaxEpochs < 1) throw new CliException($"--max-epochs must be at least 1, got {r.MaxEpochs}");
        if (r.MinEpochs < 1) throw new CliException($"--min-epochs must be at least 1, got {r.MinEpochs}");
        if (r.Eta < 2) throw new CliException($"--eta must be at least 2, got {r.Eta}");
        if (!(r.ValidationSplit > 0 && r.ValidationSplit < 1))
            throw new CliException($"--validation-split must lie in (0, 1) — trials are judged on held-out training data, never the test split; got {r.ValidationSplit.ToString(CultureInfo.InvariantCulture)}");
        CommonOptions.RequireRunnable(r.Device, r.Threads);
        if (File.Exists(r.OutDir)) throw new CliException($"--out '{r.OutDir}' is an existing file; expected a folder (new or existing)");
        ISampler sampler = r.Sampler.ToLowerInvariant() switch
        {
            "tpe" => new TpeSampler(), "random" => new RandomSampler(),
            _ => throw new CliException($"--sampler must be 'tpe' or 'random', got '{r.Sampler}'"),
        };
        IPruner pruner = r.Pruner.ToLowerInvariant() switch
        {
            "asha" => new AshaPruner(r.MinEpochs, r.Eta, r.MaxEpochs), "none" => new NoPruner(),
            _ => throw new CliException($"--pruner must be 'asha' or 'none', got '{r.Pruner}'"),
        };
        var space = LoadSpace(r);
        // Fail on the data before the study file is made.
        _ = DatasetCatalog.Load(r.Dataset);

        using var store = new SqliteStudyStore(r.Study);
        try { store.Open(r.StudyName, Configuration(r, space, sampler, pruner)); }
        catch (InvalidOperationException e) { throw new CliException(e.Message); }
        int threadsPerTrial = Math.Max(1, r.Threads / r.Workers);
        var study = new Study(store, space, sampler, pruner, new StudyOptions { Seed = r.Seed, Workers = r.Workers, MaxTrials = trials, Timeout = time });
        Directory.CreateDirectory(r.OutDir);
        bool live = !r.Plain && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
        Console.WriteLine($"tuning {r.Model} on {r.Dataset}: {sampler.Name} sampler, {pruner.Name} pruner" +
            (pruner is AshaPruner a ? $" (rungs at epochs {string.Join(", ", a.Rungs)})" : "") + $", up to {r.MaxEpochs} epochs a trial, budget {r.Budget}, " +
            $"{r.Workers} worker(s) × {threadsPerTrial} thread(s), study {r.Study}");
        var display = new TuneDisplay(study, Metric, live);
        display.Run(() => study.Optimize(t => RunTrial(r, t, threadsPerTrial)));

        var all = store.Trials();
        WriteOutputs(r, space, all, threadsPerTrial);
        return 0;
    }

    private static SearchSpace LoadSpace(TuneRequest r)
    {
        SearchSpace space;
        if (r.Space is null)
        {
            try { space = SearchSpaces.For(r.Model); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
        }
        else space = SearchSpaceFile.Load(r.Space);
        var known = TrainingParameters.Concat(ModelZoo.ArchitectureParameters(r.Model)).ToList();
        foreach (var p in space.Parameters)
            if (!known.Contains(p.Name))
                throw new CliException($"--space: parameter '{p.Name}' is not something onnxkit train sets for {r.Model}: expected {string.Join(", ", known)}");
        return space;
    }

    private static readonly string[] TrainingParameters = ["optimizer", "lr", "weight_decay", "batch_size", "schedule"];

    // What must match for a study to be resumed: the space and everything that decides a trial's result.
    private static string Configuration(TuneRequest r, SearchSpace space, ISampler sampler, IPruner pruner) => JsonSerializer.Serialize(new
    {
        model = r.Model.ToLowerInvariant(), dataset = r.Dataset, space = JsonDocument.Parse(space.ToJson()).RootElement, sampler = sampler.Name, pruner = pruner.Name,
        min_epochs = r.MinEpochs, eta = r.Eta, max_epochs = r.MaxEpochs, seed = r.Seed, validation_split = r.ValidationSplit, normalize = r.Normalize,
    });

    /// <summary>The <c>onnxkit train</c> request of a trial: the recipe's defaults overridden by the trial's values.</summary>
    private static TrainCommand.TrainRequest TrainRequestFor(TuneRequest r, IReadOnlyDictionary<string, object> p, int seed, int threads, string outDir)
    {
        var recipe = TrainCommand.Recipe.For(r.Model);
        string Text(string key, string dflt) => p.TryGetValue(key, out var v) ? SearchParameter.Format(v) : dflt;
        var archNames = ModelZoo.ArchitectureParameters(r.Model);
        var arch = p.Where(kv => archNames.Contains(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value is double d ? d : double.Parse((string)kv.Value, CultureInfo.InvariantCulture));
        if (!int.TryParse(Text("batch_size", recipe.BatchSize.ToString(CultureInfo.InvariantCulture)), NumberStyles.None, CultureInfo.InvariantCulture, out int batch))
            throw new CliException($"batch_size must be a whole number, got '{Text("batch_size", "")}'");
        return new TrainCommand.TrainRequest(r.Model, r.Dataset, r.MaxEpochs, batch, Text("optimizer", "adam"), p.TryGetValue("lr", out var lr) ? (double)lr : recipe.Lr,
            Text("schedule", recipe.Schedule), r.Device, outDir, seed, r.ValidationSplit, threads, null, 0, true, r.Normalize)
        { ArchParams = arch.Count == 0 ? null : arch, WeightDecay = p.TryGetValue("weight_decay", out var wd) ? Convert.ToDouble(wd, CultureInfo.InvariantCulture) : null };
    }

    private static TrialOutcome RunTrial(TuneRequest r, TrialContext t, int threads)
    {
        string dir = Path.Combine(r.OutDir, "trials", t.Number.ToString("D4", CultureInfo.InvariantCulture));
        // A trial queued again after its process died starts over.
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var report = new PruningReport(t, Metric);
        var request = TrainRequestFor(r, t.Parameters, t.Seed, threads, dir) with { Trial = new TuneTrial([report], new SilentProgressReporter()) };
        int code = TrainCommand.Run(request);
        if (code == ExitCodes.Diverged) return new TrialOutcome(TrialState.Failed, report.LastValue, report.Epochs, "training diverged");
        return new TrialOutcome(report.Pruned ? TrialState.Pruned : TrialState.Complete, report.LastValue, report.Epochs);
    }

    /// <summary>The <c>onnxkit train</c> command line that reproduces a trial.</summary>
    internal static string TrainCommandLine(TuneRequest r, TrialRecord t, int threads, string outDir)
    {
        var q = TrainRequestFor(r, t.Parameters!, Study.TrialSeed(r.Seed, t.Number), threads, outDir);
        static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=' or ',') ? s : "'" + s.Replace("'", "'\\''") + "'";
        var args = new List<string> { "onnxkit", "train", "--model", q.Model, "--dataset", q.Dataset, "--epochs", q.Epochs.ToString(CultureInfo.InvariantCulture),
            "--batch-size", q.BatchSize.ToString(CultureInfo.InvariantCulture), "--optimizer", q.Optimizer, "--lr", q.Lr.ToString("R", CultureInfo.InvariantCulture),
            "--schedule", q.Schedule };
        if (q.WeightDecay is double decay) args.AddRange(["--weight-decay", decay.ToString("R", CultureInfo.InvariantCulture)]);
        if (q.ArchParams is { } a) args.AddRange(["--arch-params", ArchitectureParameters.Format(a)]);
        args.AddRange(["--seed", q.Seed.ToString(CultureInfo.InvariantCulture), "--validation-split", q.ValidationSplit.ToString("R", CultureInfo.InvariantCulture),
            "--normalize", q.Normalize, "--threads", q.Threads.ToString(CultureInfo.InvariantCulture), "--device", q.Device, "--out", outDir]);
        return string.Join(" ", args.Select(Quote));
    }

    private static void WriteOutputs(TuneRequest r, SearchSpace space, IReadOnlyList<TrialRecord> trials, int threads)
    {
        Leaderboard.WriteJson(Path.Combine(r.OutDir, "leaderboard.json"), trials, "val_" + Metric, r.Seed);
        Leaderboard.WriteCsv(Path.Combine(r.OutDir, "leaderboard.csv"), trials, "val_" + Metric, r.Seed);
        TunePlots.History(Path.Combine(r.OutDir, "optimization_history.png"), trials, Metric);
        TunePlots.Parameters(r.OutDir, space, trials, Metric);
        Console.WriteLine($"{trials.Count(t => t.State == TrialState.Complete)} complete, {trials.Count(t => t.State == TrialState.Pruned)} pruned, " +
            $"{trials.Count(t => t.State == TrialState.Failed)} failed of {trials.Count} trials in the study; wrote {Path.Combine(r.OutDir, "leaderboard.json")}, leaderboard.csv, optimization_history.png, param_*.png");
        var best = Leaderboard.Best(trials);
        if (best is null) { Console.WriteLine("no trial completed yet: no best/ written"); return; }
        string bestDir = Path.Combine(r.OutDir, "best");
        CopyBest(Path.Combine(r.OutDir, "trials", best.Number.ToString("D4", CultureInfo.InvariantCulture)), bestDir);
        string command = TrainCommandLine(r, best, threads, Path.Combine("runs", "tune-best"));
        AtomicFile.WriteAllText(Path.Combine(bestDir, "command.txt"), command + Environment.NewLine);
        Console.WriteLine($"best: trial {best.Number}, validation {Metric} {best.Value:F4} after {best.Epochs} epochs: " +
            string.Join(" ", best.Parameters!.Select(kv => $"{kv.Key}={SearchParameter.Format(kv.Value)}")));
        Console.WriteLine($"reproduce it (and get its test {Metric}) with:");
        Console.WriteLine("  " + command);
    }

    // best/ is replaced as a whole: built beside it, then swapped in, so a reader never sees a mix of two trials.
    private static void CopyBest(string trialDir, string bestDir)
    {
        if (!Directory.Exists(trialDir)) { Console.WriteLine($"the best trial's folder '{trialDir}' is not on this machine (another process ran it): no best/ copied"); return; }
        string tmp = bestDir + $".tmp{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        CopyTree(trialDir, tmp);
        if (Directory.Exists(bestDir)) Directory.Delete(bestDir, true);
        Directory.Move(tmp, bestDir);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
