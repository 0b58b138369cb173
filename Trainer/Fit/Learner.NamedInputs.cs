using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Data;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;

namespace OnnxKit.Training.Fit;

// A learner of a FunctionalModel (named inputs of any element type, several outputs each with its loss, weight and metrics),
// Keras' compile(loss={...}, loss_weights={...}, metrics={...}) and fit(x={...}, y={...}) over a NamedDataset. The training
// loop, artifacts, session and loader are the ones of the one-input case, which is their special case.
public sealed partial class Learner
{
    private readonly TrainingSignature? _signature;
    private readonly (string Output, Metric Metric)[] _outputMetrics = [];

    /// <summary>
    /// Compiles a model of named inputs and outputs (Keras' <c>compile(loss={…}, loss_weights={…}, metrics={…})</c>): a loss per
    /// trained output (outputs without one are computed, not trained), its weight in the total loss (default 1), and metrics per
    /// output, reported as <c>&lt;output&gt;_&lt;metric&gt;</c> (e.g. <c>class_accuracy</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A loss, weight or metric for an output the model does not have, or metrics for an output without a loss.</exception>
    public Learner(FunctionalModel model, Optimizer optimizer, IReadOnlyDictionary<string, Loss> losses, IReadOnlyDictionary<string, double>? lossWeights = null,
                   IReadOnlyDictionary<string, IReadOnlyList<Metric>>? metrics = null, TrainingSessionOptions? sessionOptions = null)
    {
        _signature = TrainingSignature.For(model, losses, lossWeights);
        Model = model; Optimizer = optimizer; Loss = _signature.Losses[0].Loss; Metrics = [];
        _sessionOptions = sessionOptions ?? new TrainingSessionOptions();
        metrics ??= new Dictionary<string, IReadOnlyList<Metric>>();
        if (metrics.Keys.FirstOrDefault(k => !model.Outputs.Contains(k)) is { } unknown)
            throw new ArgumentException($"metrics are given for output '{unknown}', but the model's outputs are [{string.Join(", ", model.Outputs)}]", nameof(metrics));
        if (metrics.Keys.FirstOrDefault(k => !losses.ContainsKey(k)) is { } untargeted)
            throw new ArgumentException($"metrics for output '{untargeted}' need its targets, which only a trained output has: give it a loss (of weight 0 to measure it only)", nameof(metrics));
        _outputMetrics = [.. model.Outputs.Where(metrics.ContainsKey).SelectMany(o => metrics[o].Select(m => (o, m)))];
    }

    /// <summary>The trained outputs with their losses, weights and target inputs (one, <c>output</c>, for a one-output model).</summary>
    public IReadOnlyList<OutputLoss> OutputLosses => _signature?.Losses ?? [new OutputLoss(TrainingArtifacts.OutputName, Loss, 1, TrainingArtifacts.TargetName)];

    /// <summary>Trains a model of named inputs on a <see cref="NamedDataset"/> (arrays named as the inputs, and as the trained outputs for their targets).</summary>
    /// <param name="train">The training data.</param>
    /// <param name="options">As for one input; <see cref="FitOptions.Validation"/>, <see cref="FitOptions.ValidationSplit"/> and <see cref="FitOptions.Augmentations"/> do not apply (pass <paramref name="validation"/>).</param>
    /// <param name="validation">Data evaluated after each epoch.</param>
    /// <exception cref="ArgumentException">The data lacks an input or target, or one has another element type or sample shape than the model's.</exception>
    public History Fit(NamedDataset train, FitOptions? options = null, NamedDataset? validation = null)
    {
        options = Checked(options);
        if (options.Validation is not null || options.ValidationSplit > 0)
            throw new ArgumentException("FitOptions.Validation and ValidationSplit are for a TensorDataset; pass the named validation data as Fit's validation argument", nameof(options));
        if (options.Augmentations.Count > 0) throw new NotSupportedException("augmentations apply to a TensorDataset's features; a NamedDataset is trained on as given");
        BuildNamed();
        var names = DataNames(train);
        if (validation is not null) DataNames(validation);
        var feed = new MetricFeed(
            () => { foreach (var (_, m) in _outputMetrics) m.Reset(); },
            (batch, _) => UpdateOutputMetrics(batch.Count),
            OutputMetricResults);
        return Run(options, train.Count, validation is null ? null : bs => Evaluate(validation, bs), feed,
            (bs, seed) => new DataLoader(train, bs, options.Shuffle, seed, options.DropLast, options.Sampler),
            (loader, _) => loader.NextEpochInto(names, Session!.BatchBuffers),
            () => SplitStep(options));
    }

    /// <summary>The mean (weighted total) loss and every output's metrics on a <see cref="NamedDataset"/>, in inference behaviour.</summary>
    /// <exception cref="ArgumentException">The data lacks an input or target, or one does not fit the model.</exception>
    public EvaluationResult Evaluate(NamedDataset data, int batchSize = 256)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1");
        BuildNamed();
        var session = Session!;
        var names = DataNames(data);
        foreach (var (_, m) in _outputMetrics) m.Reset();
        double lossSum = 0;
        foreach (var batch in new DataLoader(data, batchSize, shuffle: false).NextEpochInto(names, session.BatchBuffers))
        {
            lossSum += session.Evaluate(batch.Count) * batch.Count;
            UpdateOutputMetrics(batch.Count);
        }
        return new EvaluationResult(lossSum / data.Count, OutputMetricResults(), null);
    }

    /// <summary>Every output of the model for every sample of <paramref name="data"/> (which needs the inputs only), by output name: [count, output size] row-major.</summary>
    /// <exception cref="ArgumentException">The data lacks an input, or one does not fit the model.</exception>
    public Dictionary<string, float[]> Predict(NamedDataset data, int batchSize = 256)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1");
        BuildNamed();
        var session = Session!;
        var inputs = _signature!.Inputs.Select(i => i.Name).ToArray();
        CheckArrays(data, session.BatchInputs.Take(inputs.Length).Select(b => (b.Name, b)));
        var result = session.Outputs.ToDictionary(o => o.Name, o => new float[(long)data.Count * o.SampleSize]);
        // The eval graph also computes the loss, so its targets must hold valid values: zeros are valid for every loss.
        var buffers = (int count) =>
        {
            var b = session.BatchBuffers(count);
            for (int i = inputs.Length; i < b.Count; i++) Array.Clear(b[i]);
            return b;
        };
        int start = 0;
        foreach (var batch in new DataLoader(data, batchSize, shuffle: false).NextEpochInto(inputs, buffers))
        {
            session.Evaluate(batch.Count);
            for (int o = 0; o < session.Outputs.Count; o++)
                session.LastOutputOf(o).CopyTo(result[session.Outputs[o].Name].AsSpan(start * session.Outputs[o].SampleSize));
            start += batch.Count;
        }
        return result;
    }

    private void BuildNamed()
    {
        if (_signature is null) throw new InvalidOperationException("a NamedDataset feeds a FunctionalModel: compile the learner with one (and its losses by output)");
        if (Session is not null) return;
        Artifacts = TrainingArtifacts.Create(Model, _signature, Optimizer, new TrainingArtifacts.Options { Metadata = Metadata });
        Session = new TrainingSession(Artifacts, Optimizer, _sessionOptions);
    }

    // The dataset's array for each batch input, in the session's order: a model input by its name, a target by its output's name.
    private string[] DataNames(NamedDataset data)
    {
        var session = Session!;
        var names = session.BatchInputs.Select((b, i) => session.Manifest.BatchInputs[i].TargetOf ?? b.Name).ToArray();
        CheckArrays(data, names.Zip(session.BatchInputs));
        return names;
    }

    private static void CheckArrays(NamedDataset data, IEnumerable<(string Array, BatchTensor Input)> wanted)
    {
        foreach (var (name, input) in wanted)
        {
            string role = name == input.Name ? $"input '{name}'" : $"the targets of output '{name}'";
            string expected = $"{input.Type.OnnxName()} [{string.Join(", ", input.SampleShape)}]";
            if (!data.Has(name))
                throw new ArgumentException($"{data.Source} has no array '{name}' for {role} ({expected}); it has [{string.Join(", ", data.Arrays.Keys)}]");
            var a = data[name];
            if (a.ElementType != input.Type)
                throw new ArgumentException($"{data.Source}: array '{name}' is {a.Describe()}, expected {expected} for {role}");
            // Targets may drop or add unit axes ([1] and [] per sample are the same regression value); inputs must match exactly.
            bool fits = name == input.Name ? a.SampleShape.Select(d => (long)d).SequenceEqual(input.SampleShape) : a.SampleSize == input.SampleSize;
            if (!fits) throw new ArgumentException($"{data.Source}: array '{name}' has samples of shape [{string.Join(", ", a.SampleShape)}], expected {expected} for {role}");
        }
    }

    private void UpdateOutputMetrics(int count)
    {
        if (_outputMetrics.Length == 0) return;
        var session = Session!;
        var buffers = session.BatchBuffers(count);
        foreach (var (output, metric) in _outputMetrics)
        {
            int o = IndexOf(session.Outputs, output);
            int t = IndexOf(session.BatchInputs, TrainingSignature.TargetNameOf(output));
            metric.Update(session.LastOutputOf(o), buffers[t], count, session.Outputs[o].SampleSize);
        }
    }

    private static int IndexOf(IReadOnlyList<BatchTensor> list, string name)
    {
        for (int i = 0; i < list.Count; i++) if (list[i].Name == name) return i;
        throw new InvalidOperationException($"the session has no '{name}'");
    }

    private Dictionary<string, double> OutputMetricResults() => _outputMetrics.ToDictionary(m => $"{m.Output}_{m.Metric.Name}", m => m.Metric.Result());
}
