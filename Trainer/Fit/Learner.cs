using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Data;
using OnnxKit.Training.Distributed;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Reports;
using OnnxKit.Training.Schedules;
using OnnxKit.Training.Session;
using OnnxKit.Training.Session.Lowering.HostUpdate;

namespace OnnxKit.Training.Fit;

/// <summary>Options of <see cref="OnnxKit.Training.Fit.Learner.Fit(OnnxKit.Training.Data.TensorDataset, OnnxKit.Training.Fit.FitOptions)"/>.</summary>
public sealed record FitOptions
{
    /// <summary>Number of epochs.</summary>
    public int Epochs { get; init; } = 5;
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Validation data evaluated after each epoch (or use <see cref="ValidationSplit"/>).</summary>
    public TensorDataset? Validation { get; init; }
    /// <summary>
    /// Fraction of the training data held out for validation when <see cref="Validation"/> is null (seeded by
    /// <see cref="Seed"/>, stratified by class for class-labelled data; see <see cref="StratifiedSplit"/>). 0: none.
    /// </summary>
    public double ValidationSplit { get; init; }
    /// <summary>Shuffle the training data every epoch.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Drop the last incomplete batch of each epoch.</summary>
    public bool DropLast { get; init; }
    /// <summary>Seed of the data order (and validation split).</summary>
    public int Seed { get; init; }
    /// <summary>Learning-rate schedule (default: constant at the optimizer's rate).</summary>
    public ILearningRateSchedule? Schedule { get; init; }
    /// <summary>Callbacks.</summary>
    public IReadOnlyList<Callback> Callbacks { get; init; } = [];
    /// <summary>Progress output (default: none).</summary>
    public IProgressReporter? Progress { get; init; }
    /// <summary>Resume from this checkpoint (written by <see cref="Learner.SaveCheckpoint"/>): parameters, optimizer state, step, epoch and data position.</summary>
    public string? ResumeFrom { get; init; }
    /// <summary>Save a checkpoint every this many steps into <see cref="CheckpointPath"/> (0: never by step).</summary>
    public int CheckpointEverySteps { get; init; }
    /// <summary>Checkpoint file for <see cref="CheckpointEverySteps"/>.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>
    /// Chooses each batch's rows (e.g. Poisson sampling for DP-SGD) instead of slices of the shuffled order
    /// (<see cref="ShuffledBatches"/> over <see cref="BatchSize"/>, <see cref="Seed"/> and <see cref="Shuffle"/>); the epoch keeps its number of steps.
    /// </summary>
    public IBatchSampler? Sampler { get; init; }
    /// <summary>
    /// Per-sample augmentations applied to the training batches in this order (not to validation data), e.g.
    /// <see cref="Transforms.RandomCrop"/>, <see cref="Transforms.HorizontalFlip"/>, <see cref="Transforms.GaussianNoise"/>; their
    /// random draws depend on (seed, epoch, position) only, so a resumed run sees the same augmented batches.
    /// </summary>
    public IReadOnlyList<ISampleTransform> Augmentations { get; init; } = [];
    /// <summary>
    /// Micro-batches of <see cref="BatchSize"/> whose gradients are summed into one optimisation step (default 1): a step
    /// then equals one step on a batch K times larger, in memory for one micro-batch.
    /// </summary>
    public int AccumulateSteps { get; init; } = 1;
}

/// <summary>
/// A model compiled for training (Keras' compiled model): builds the training artifacts once, runs them with a
/// <see cref="TrainingSession"/>, and offers <see cref="Fit(TensorDataset, FitOptions)"/>, <see cref="Evaluate(TensorDataset, int)"/>, <see cref="Predict(TensorDataset, int)"/> and
/// <see cref="Export"/>. For a hand-written loop use <see cref="Session"/>'s <c>Step</c> directly.
/// </summary>
public sealed partial class Learner : IDisposable
{
    private readonly TrainingSessionOptions _sessionOptions;
    private TensorType? _inputType;
    private int _epochDone;            // epochs completed (restored from checkpoints)
    private int _batchesDone;          // batches of the current epoch already trained on (restored from checkpoints)
    private int? _samplesDoneBeforeBatches;
    private int _seed;
    // What the run depends on besides the session state, kept for SaveCheckpoint during Fit (see SaveCheckpoint).
    private readonly List<EpochRecord> _history = [];
    private double _epochLossSum;
    private long _epochSeen;
    private ILearningRateSchedule? _schedule;
    private IReadOnlyList<Callback> _callbacks = [];
    private Dictionary<string, string>? _restoredMetadata;
    private readonly ConfusionMatrixMetric _confusion = new();   // Evaluate's confusion matrix, counted like the metrics

    /// <summary>The network.</summary>
    public Module Model { get; }
    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>The loss (for a model of several outputs, the first trained output's; all of them in <see cref="OutputLosses"/>).</summary>
    public Loss Loss { get; }
    /// <summary>Metrics computed during fit and evaluate.</summary>
    public IReadOnlyList<Metric> Metrics { get; }
    /// <summary>The artifacts (after the first Fit/Evaluate or <see cref="Build"/>).</summary>
    public TrainingArtifacts? Artifacts { get; private set; }
    /// <summary>The running session (after the first Fit/Evaluate or <see cref="Build"/>).</summary>
    public TrainingSession? Session { get; private set; }
    /// <summary>Metadata stored in the exported model (labels, normalisation…).</summary>
    public Dictionary<string, string> Metadata { get; } = [];
    /// <summary>
    /// The job this learner trains in (default: this process alone). With several ranks, <see cref="Fit(TensorDataset, FitOptions)"/> trains data-parallel
    /// (<see cref="DataParallelStep"/>): every rank calls it with the same data and options, computes the gradients of its share
    /// of each batch, and all ranks apply the same averaged step from rank 0's initial state; <see cref="Evaluate(TensorDataset, int)"/> shares the
    /// rows out and reduces the results. Only the caller decides which rank writes files (checkpoints, exports): rank 0, usually.
    /// </summary>
    public ICommunicator Communicator { get; init; } = new SingleProcess();
    private DataParallelStep? _parallel;

    /// <summary>Compiles a model of one input and one output.</summary>
    public Learner(Module model, Optimizer optimizer, Loss loss, IEnumerable<Metric>? metrics = null, TrainingSessionOptions? sessionOptions = null)
    {
        Model = model; Optimizer = optimizer; Loss = loss; Metrics = metrics?.ToList() ?? [];
        _sessionOptions = sessionOptions ?? new TrainingSessionOptions();
    }

    /// <summary>Builds the artifacts and session for inputs of one sample of shape <paramref name="sampleShape"/> (the batch dimension is added).</summary>
    public void Build(IReadOnlyList<int> sampleShape)
    {
        if (_signature is not null)
            throw new InvalidOperationException($"this learner trains a model of named inputs [{string.Join(", ", _signature.Inputs.Select(i => i.Name))}]; give it a NamedDataset");
        var type = new TensorType(ElementType.Float32, new Shape([Dim.Sym("batch"), .. sampleShape.Select(d => Dim.Of(d))]));
        if (_inputType is not null)
        {
            if (!_inputType.Equals(type)) throw new ArgumentException($"the learner was built for samples {_inputType.Shape}, got data of sample shape [{string.Join(", ", sampleShape)}]");
            return;
        }
        _inputType = type;
        Artifacts = TrainingArtifacts.Create(Model, type, Loss, Optimizer, new TrainingArtifacts.Options { Metadata = Metadata });
        Session = new TrainingSession(Artifacts, Optimizer, _sessionOptions, [.. Metrics, _confusion]);
    }

    // PyTorch refuses a training batch that gives a BatchNorm one value per channel; the running variance would take
    // var·n/(n − 1) = 0/0 and turn NaN for the rest of training. TrainingSession.Step refuses such a batch by the
    // manifest's bound; here it is refused before the first step, naming the layer.
    private void CheckBatchNormBatches(int n, int bs, bool dropLast)
    {
        int smallest = Math.Min(bs, n);
        if (!dropLast && n % bs != 0) smallest = Math.Min(smallest, n % bs);
        if (smallest >= Session!.Manifest.MinTrainingBatch) return;
        var bn = TrainingArtifacts.BatchNormOverSingleValues(Model);
        string layer = bn is null ? "a BatchNorm layer" : $"{bn.GetType().Name} {(bn.Prefix.TrimEnd('.') is { Length: > 0 } p ? $"'{p}'" : "(the model)")}";
        throw new ArgumentException($"{layer} needs more than one value per channel in training, but a batch would hold {smallest} sample " +
            $"({n} samples in batches of {bs}{(dropLast ? ", drop-last" : "")}); set FitOptions.DropLast = true or choose another batch size");
    }

    /// <summary>Trains (Keras' fit). Returns the per-epoch history.</summary>
    public History Fit(TensorDataset train, FitOptions? options = null)
    {
        options = Checked(options);
        var validation = options.Validation;
        if (validation is null && options.ValidationSplit > 0)
        {
            var split = StratifiedSplit.Split(train, options.ValidationSplit, options.Seed);
            train = split.Train; validation = split.Validation;
        }
        Build(train.SampleShape);
        var feed = new MetricFeed(
            () => { foreach (var m in Metrics) m.Reset(); },
            (batch, parallel) =>
            {
                if (parallel is null) Session!.UpdateMetrics(Metrics, batch.Targets, batch.Count);
                else foreach (var m in Metrics) m.Update(parallel.Outputs, batch.Targets, batch.Count, Session!.OutputSize);
            },
            () => Metrics.ToDictionary(m => m.Name, m => m.Result()));
        return Run(options, train.Count, validation is null ? null : bs => Evaluate(validation, bs), feed,
            (bs, seed) => new DataLoader(train, bs, options.Shuffle, seed, options.DropLast, prefetch: false, options.Augmentations, sampler: options.Sampler),
            // The split step has two input slots: where a core is free the next batch is written while the step runs.
            (loader, parallel) => parallel is { PrefetchInputs: true } ? loader.NextEpochIntoAlternating(parallel.InputArrays)
                : loader.NextEpochInto(parallel is null ? Session!.InputBuffers : parallel.InputBuffers),
            () => SplitStep(options));
    }

    private static FitOptions Checked(FitOptions? options)
    {
        options ??= new FitOptions();
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "batchSize must be at least 1");
        if (options.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "epochs must not be negative");
        if (!(options.ValidationSplit >= 0 && options.ValidationSplit < 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationSplit, $"ValidationSplit must lie in [0, 1), got {options.ValidationSplit}");
        return options;
    }

    // What fits the data's batches from the session's outputs into the metrics (the one-output Metrics, or every output's).
    private sealed record MetricFeed(Action Reset, Action<FilledBatch, DataParallelStep?> Update, Func<Dictionary<string, double>> Results);

    // The training loop shared by every kind of data: the loader and its epochs, the validation and the metrics come from the caller.
    private History Run(FitOptions options, int n, Func<int, EvaluationResult>? validate, MetricFeed feed, Func<int, int, DataLoader> makeLoader,
                        Func<DataLoader, DataParallelStep?, IEnumerable<FilledBatch>> epochOf, Func<DataParallelStep?> splitStep)
    {
        var session = Session!;
        _seed = options.Seed;
        _history.Clear();
        _epochLossSum = 0; _epochSeen = 0;
        if (options.ResumeFrom is not null) RestoreCheckpoint(options.ResumeFrom);
        int bs = options.BatchSize * options.AccumulateSteps;   // rows of one optimisation step, over all ranks
        if (_samplesDoneBeforeBatches is { } samplesDone) { _batchesDone = (samplesDone + bs - 1) / bs; _samplesDoneBeforeBatches = null; }
        var restored = _restoredMetadata;
        _restoredMetadata = null;
        var parallel = splitStep();

        var ctx = new TrainingContext(this);
        var history = new History();
        history.Epochs.AddRange(_history);
        IProgressReporter progress = Communicator.Rank == 0 ? options.Progress ?? new SilentProgressReporter() : new SilentProgressReporter();
        var schedule = options.Schedule;
        // A stateful schedule (ReduceLROnPlateau) continues from the checkpoint's state when it is of the same kind.
        if (schedule is not null && restored?.GetValueOrDefault("schedule") is { } scheduleJson
            && ScheduleState.FromJson(scheduleJson) is { } savedSchedule && savedSchedule.GetType() == schedule.State.GetType())
            schedule = savedSchedule.Restore();
        _schedule = schedule;
        _callbacks = options.Callbacks;
        foreach (var cb in options.Callbacks) cb.OnTrainBegin(ctx);
        if (restored is not null)
            for (int i = 0; i < options.Callbacks.Count; i++)
                if (restored.TryGetValue(CallbackKey(i, options.Callbacks[i]), out var cbState)) options.Callbacks[i].RestoreState(cbState);

        // Batches come from the loader, written straight into the arrays the session's step reads. Its position is
        // (epochs done, batches done), which checkpoints keep.
        var loader = makeLoader(bs, _seed);
        int steps = loader.BatchesPerEpoch;
        if (steps == 0) throw new ArgumentException($"the training data has {n} samples, fewer than one batch of {bs} with drop-last");
        CheckBatchNormBatches(n, bs, options.DropLast);

        for (int epoch = _epochDone + 1; epoch <= options.Epochs && !ctx.StopTraining; epoch++)
        {
            ctx.Epoch = epoch;
            feed.Reset();
            progress.EpochStart(epoch, options.Epochs, steps);
            // A run resumed mid-epoch starts from the loss the saved run had summed so far in this epoch.
            double lossSum = _batchesDone > 0 ? _epochLossSum : 0; long seen = _batchesDone > 0 ? _epochSeen : 0;
            var sw = Stopwatch.StartNew();
            int firstStep = Math.Min(_batchesDone, steps);
            loader.Restore(new LoaderState(epoch - 1, firstStep));
            var batches = firstStep < steps ? epochOf(loader, parallel) : Enumerable.Empty<FilledBatch>();
            foreach (var batch in batches)
            {
                int s = batch.Index, count = batch.Count;
                _batchesDone = s + 1;
                if (count == 0) continue;   // a sampler's empty batch: nothing to train on, the position still advances
                // Schedules take the 1-based number of the step about to run (StepCount counts the steps already done).
                double lr = (schedule?.LearningRate(session.StepCount + 1, epoch - 1) ?? Optimizer.LearningRate) * ctx.LearningRateOverride;
                ctx.LearningRate = lr;
                float loss = parallel?.Step(count, lr, parallel.PrefetchInputs ? batch.Slot : null) ?? session.Step(count, lr);
                lossSum += loss * count; seen += count;
                _epochLossSum = lossSum; _epochSeen = seen;
                feed.Update(batch, parallel);
                foreach (var cb in options.Callbacks) cb.OnBatchEnd(ctx, session.StepCount, loss);
                double elapsed = sw.Elapsed.TotalSeconds;
                progress.Batch(s + 1, steps, (s + 1 - firstStep) * (double)bs / Math.Max(elapsed, 1e-9), lossSum / seen,
                    feed.Results(), TimeSpan.FromSeconds(elapsed / (s + 1 - firstStep) * (steps - s - 1)));
                if (options.CheckpointEverySteps > 0 && session.StepCount % options.CheckpointEverySteps == 0 && options.CheckpointPath is not null && float.IsFinite(loss) && Communicator.Rank == 0)
                    SaveCheckpoint(options.CheckpointPath);
                if (ctx.StopTraining) break;   // stopped mid-epoch: still record what was done
            }
            double seconds = sw.Elapsed.TotalSeconds;
            if (_batchesDone >= steps) { _epochDone = epoch; _batchesDone = 0; }
            var trainMetrics = feed.Results();
            double? valLoss = null; Dictionary<string, double> valMetrics = [];
            if (validate is not null)
            {
                var ev = validate(bs);
                valLoss = ev.Loss; valMetrics = ev.Metrics;
            }
            var record = new EpochRecord
            {
                Epoch = epoch, Seconds = seconds, TrainLoss = seen == 0 ? double.NaN : lossSum / seen, TrainMetrics = trainMetrics,
                ValLoss = valLoss, ValMetrics = valMetrics, LearningRate = ctx.LearningRate, SamplesPerSecond = seen / Math.Max(seconds, 1e-9),
            };
            history.Epochs.Add(record);
            _history.Add(record);
            _epochLossSum = 0; _epochSeen = 0;
            if (schedule is ReduceLROnPlateau plateau) plateau.Report(record.ValLoss ?? record.TrainLoss);
            progress.EpochEnd(record);
            foreach (var cb in options.Callbacks) cb.OnEpochEnd(ctx, record);
        }
        history.StoppedEarly = ctx.StopTraining;
        history.StopReason = ctx.StopReason;
        foreach (var cb in options.Callbacks) cb.OnTrainEnd(ctx, history);
        return history;
    }

    /// <summary>Loss and metrics on a dataset (inference behaviour), plus the confusion matrix for classification.</summary>
    public EvaluationResult Evaluate(TensorDataset data, int batchSize = 256)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1");
        Build(data.SampleShape);
        var session = Session!;
        if (Communicator.Size > 1) return ShardedEvaluation.Run(session, Communicator, data, batchSize, Metrics);
        // Fit has read its training metrics before validating, so the same metric objects can be reused here.
        bool confusion = data.Labels is not null && session.OutputSize > 1;
        IReadOnlyList<Metric> metrics = confusion ? [.. Metrics, _confusion] : Metrics;
        foreach (var m in metrics) m.Reset();
        var features = new float[batchSize * data.SampleSize];
        Array targets = data.Labels is not null ? new long[batchSize] : new float[batchSize * data.TargetWidth];
        var order = Enumerable.Range(0, data.Count).ToArray();
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - start);
            Gather(data, order, start, count, features, targets);
            lossSum += session.Evaluate(features, targets, count) * count;
            session.UpdateMetrics(metrics, targets, count);
        }
        var cm = confusion ? _confusion.Matrix ?? new ConfusionMatrix(session.OutputSize) : null;
        return new EvaluationResult(lossSum / data.Count, Metrics.ToDictionary(m => m.Name, m => m.Result()), cm);
    }

    /// <summary>Model outputs for every sample ([count, outputSize] row-major), in inference behaviour.</summary>
    public float[] Predict(TensorDataset data, int batchSize = 256)
    {
        Build(data.SampleShape);
        var session = Session!;
        var result = new float[data.Count * session.OutputSize];
        var features = new float[batchSize * data.SampleSize];
        // The eval graph also computes the loss, so it needs targets of the right kind; zeros are valid for any loss.
        Array targets = session.TargetType == ElementType.Int64 ? new long[batchSize * session.TargetSize] : new float[batchSize * session.TargetSize];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - start);
            data.Features.AsSpan(start * data.SampleSize, count * data.SampleSize).CopyTo(features);
            session.Evaluate(features, targets, count);
            session.LastOutput.CopyTo(result.AsSpan(start * session.OutputSize));
        }
        return result;
    }

    /// <summary>
    /// Writes the inference model (Dropout off, BatchNorm with running statistics) with the trained weights,
    /// atomically. <paramref name="softmaxHead"/> appends a Softmax for models trained on logits.
    /// </summary>
    public void Export(string path, bool softmaxHead = false)
    {
        if (Session is null || (_inputType is null && _signature is null)) throw new InvalidOperationException("nothing to export yet: call Fit (or Build) first");
        WriteBackParameters();
        var options = new TrainingArtifacts.Options { SoftmaxHead = softmaxHead, Metadata = Metadata };
        var model = _signature is not null ? TrainingArtifacts.BuildInference(Model, _signature, options) : TrainingArtifacts.BuildInference(Model, _inputType!, options);
        model.Save(path);
    }

    /// <summary>Copies the session's current parameters and buffers back into the module's <see cref="Parameter"/>s.</summary>
    public void WriteBackParameters()
    {
        if (Session is null) return;
        var state = Session.State();
        foreach (var p in Model.Parameters())
            if (state.TryGetValue(p.FullName, out var t)) p.Data = t.ToFloats();
    }

    /// <summary>
    /// Saves, atomically, everything the run depends on: parameters, optimizer state and step counter (which is also the
    /// position of the Dropout masks, drawn from it in the graph), the data position (epochs and batches done, seed: the order
    /// of an epoch depends only on them), the loss summed so far in the current epoch, the schedule's state
    /// (ReduceLROnPlateau's), the callbacks' state (best values, patience) and the metrics history.
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        if (Session is null) throw new InvalidOperationException("nothing to checkpoint yet: call Fit (or Build) first");
        var meta = new Dictionary<string, string>
        {
            ["epoch_done"] = _epochDone.ToString(CultureInfo.InvariantCulture),
            ["batches_done"] = _batchesDone.ToString(CultureInfo.InvariantCulture),
            ["seed"] = _seed.ToString(CultureInfo.InvariantCulture),
            ["optimizer"] = Optimizer.Name,
            ["epoch_loss_sum"] = _epochLossSum.ToString("R", CultureInfo.InvariantCulture),
            ["epoch_seen"] = _epochSeen.ToString(CultureInfo.InvariantCulture),
            ["history"] = JsonSerializer.Serialize(_history.Select(MetricsFiles.Flatten), HistoryJson),
        };
        if (_schedule is not null) meta["schedule"] = _schedule.State.ToJson();
        for (int i = 0; i < _callbacks.Count; i++)
            if (_callbacks[i].SaveState() is { } st) meta[CallbackKey(i, _callbacks[i])] = st;
        Session.SaveCheckpoint(path, meta);
    }

    private static readonly JsonSerializerOptions HistoryJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static string CallbackKey(int index, Callback cb) => $"callback.{index}.{cb.GetType().Name}";

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote; the next Fit continues exactly where the saved run was.</summary>
    public void RestoreCheckpoint(string path)
    {
        if (Session is null) throw new InvalidOperationException("build the learner (Fit or Build) before restoring a checkpoint");
        var (tensors, meta) = SafeTensors.Read(path);
        Session.LoadState(tensors.ToDictionary(t => t.Name));
        Session.SetStepCount(long.Parse(meta.GetValueOrDefault("step", "0"), CultureInfo.InvariantCulture));
        _epochDone = int.Parse(meta.GetValueOrDefault("epoch_done", "0"), CultureInfo.InvariantCulture);
        _batchesDone = meta.TryGetValue("batches_done", out var done) ? int.Parse(done, CultureInfo.InvariantCulture)
            : 0;
        // Checkpoints written before the loader counted batches hold the samples done; Fit converts them with its batch size.
        _samplesDoneBeforeBatches = done is null && meta.TryGetValue("position_in_epoch", out var samples) ? int.Parse(samples, CultureInfo.InvariantCulture) : null;
        _seed = int.Parse(meta.GetValueOrDefault("seed", _seed.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        _epochLossSum = double.Parse(meta.GetValueOrDefault("epoch_loss_sum", "0"), CultureInfo.InvariantCulture);
        _epochSeen = long.Parse(meta.GetValueOrDefault("epoch_seen", "0"), CultureInfo.InvariantCulture);
        _history.Clear();
        if (meta.TryGetValue("history", out var h))
            _history.AddRange(JsonSerializer.Deserialize<List<Dictionary<string, double?>>>(h, HistoryJson)!.Select(MetricsFiles.Unflatten));
        _restoredMetadata = meta;
    }

    internal static void Gather(TensorDataset data, int[] order, int start, int count, float[] features, Array targets)
    {
        int size = data.SampleSize;
        if (DataLoader.TargetKindMismatch(data, targets) is { } mismatch) throw new ArgumentException(mismatch);
        for (int i = 0; i < count; i++)
        {
            int idx = order[start + i];
            data.Features.AsSpan(idx * size, size).CopyTo(features.AsSpan(i * size, size));
            if (data.Labels is not null) ((long[])targets)[i] = data.Labels[idx];
            else Array.Copy(data.Targets!, idx * data.TargetWidth, (float[])targets, i * data.TargetWidth, data.TargetWidth);
        }
    }

    // The split step when the run is data-parallel, accumulates gradients or splits batches over threads (null: the fused train step), its state from rank 0.
    private DataParallelStep? SplitStep(FitOptions options)
    {
        if (options.AccumulateSteps < 1) throw new ArgumentOutOfRangeException(nameof(options), options.AccumulateSteps, "AccumulateSteps must be at least 1");
        int lanes = _sessionOptions.OnCpu ? _sessionOptions.BatchThreads : 1;
        if (_signature is not null && (Communicator.Size > 1 || options.AccumulateSteps > 1 || lanes > 1))
            throw new NotSupportedException("a model of named inputs trains with the fused step only: data-parallel training, AccumulateSteps > 1 " +
                $"and BatchThreads > 1 are not supported for it (got {Communicator.Size} ranks, AccumulateSteps {options.AccumulateSteps}, BatchThreads {lanes})");
        _parallel?.Dispose();
        _parallel = null;
        if (lanes > 1 && Optimizer.HostInputs.Count > 0)
            throw new ArgumentException($"optimizer '{Optimizer.Name}' draws per-step inputs on the host (DP-SGD's noise), so its step cannot be split over threads; " +
                $"train it with BatchThreads 1 (got {lanes})");
        // The optimizer's update on the host where the settings and the optimizer allow it (compiled once, here).
        var hostUpdate = _signature is null && _sessionOptions.RunsUpdateOnHost ? FusedUpdate.TryCreate(Optimizer, out _) : null;
        // One process, whole batches, one lane: the split step pays only where the update runs on the host.
        if (Communicator.Size == 1 && options.AccumulateSteps == 1 && lanes == 1 && hostUpdate is null) return null;
        var graph = ShardGradients.Build(Model, _inputType!, Loss, Session!.Manifest);
        _parallel = new DataParallelStep(Session, graph, Optimizer, Communicator, options.BatchSize, options.AccumulateSteps, _sessionOptions, lanes, hostUpdate);
        _parallel.BroadcastState();
        return _parallel;
    }

    /// <summary>Time the last data-parallel or accumulating <see cref="Fit(TensorDataset, FitOptions)"/> spent in the allreduce and in computation (zero for the fused step).</summary>
    public (TimeSpan Communication, TimeSpan Compute) SplitStepTimes => _parallel is null ? default : (_parallel.CommunicationTime, _parallel.ComputeTime);

    /// <inheritdoc/>
    public void Dispose()
    {
        _parallel?.Dispose();
        Session?.Dispose();
    }
}

/// <summary>Result of <see cref="Learner.Evaluate(TensorDataset, int)"/>.</summary>
/// <param name="Loss">Mean loss.</param>
/// <param name="Metrics">Metric values by name.</param>
/// <param name="Confusion">Confusion matrix (classification with class-index targets).</param>
public sealed record EvaluationResult(double Loss, Dictionary<string, double> Metrics, ConfusionMatrix? Confusion);
