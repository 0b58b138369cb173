using System.Text.Json;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Fit;

namespace OnnxKit.Explain;

/// <summary>
/// Attributions for any ONNX model with one float input — trained here, a <see cref="Learner"/>'s model, or imported
/// from PyTorch or TensorFlow: which input elements made the model give its output.
/// </summary>
/// <remarks>
/// <para>Methods (<see cref="AttributionMethod"/>): vanilla gradient saliency, SmoothGrad, Integrated Gradients (a
/// quadrature rule, <see cref="IntegrationRule"/>, over a straight path from a baseline: zeros, a mean, a blur of the
/// input, or a given tensor),
/// Grad-CAM (the last <c>Conv</c> by default, or a named node or value) and occlusion (a sliding window filled with
/// the baseline; forward runs only).</para>
/// <para>The gradient methods run generated ONNX graphs (<see cref="ExplainGraphs"/>): the forward graph, the target
/// selection and its reverse-mode gradient, built once per model and kind (one for input gradients, one per Grad-CAM
/// layer) and kept with their ORT sessions for the explainer's lifetime. The IG path points and the SmoothGrad samples
/// are fed as a batch (<see cref="ExplainOptions.BatchSize"/> rows per run), never one run per point. The target is the
/// predicted class (the largest output) unless given.</para>
/// <para>Saliency and SmoothGrad return the signed gradient (take its magnitude to display it), Integrated Gradients
/// (x − x′)·∫∇, Grad-CAM the non-negative map repeated over the channels, occlusion the mean output drop of the windows
/// covering each element.</para>
/// </remarks>
public sealed class Explainer : IDisposable
{
    private const string InputGradientKey = "input-gradient";
    private readonly OnnxModel _model;
    private readonly GraphSession _forward;
    private readonly Dictionary<string, GraphSession> _graphs = [];
    private readonly long? _fixedBatch;
    private readonly int _threads;

    /// <summary>Opens <paramref name="model"/>; <paramref name="inputName"/> picks the float input when there are several.</summary>
    /// <param name="model">An inference model: one float input whose first axis is the batch, explained through its first output.</param>
    /// <param name="inputName">The input to attribute to (default: the only float input).</param>
    /// <param name="intraOpThreads">ORT intra-op threads (0: ORT's default).</param>
    /// <exception cref="ArgumentException">The model has no single float input, or a non-batch dimension is symbolic.</exception>
    public Explainer(OnnxModel model, string? inputName = null, int intraOpThreads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _threads = intraOpThreads;
        var initializers = model.Graph.Initializers.Select(i => i.Name).ToHashSet();
        var inputs = model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).ToList();
        var floats = inputs.Where(i => TensorType.FromProto(i.Type) is { ElementType: ElementType.Float32 }).ToList();
        var chosen = inputName is null
            ? floats.Count == 1 ? floats[0] : throw new ArgumentException($"model '{model.Graph.Name}' has {floats.Count} float inputs ({string.Join(", ", floats.Select(f => f.Name))}); name the one to explain")
            : floats.Find(f => f.Name == inputName) ?? throw new ArgumentException($"model '{model.Graph.Name}' has no float input '{inputName}'; float inputs: {string.Join(", ", floats.Select(f => f.Name))}");
        if (inputs.Count != 1) throw new ArgumentException($"model '{model.Graph.Name}' has {inputs.Count} inputs; the explainer feeds only '{chosen.Name}'");
        InputName = chosen.Name;
        OutputName = model.Graph.Outputs.Count > 0 ? model.Graph.Outputs[0].Name : throw new ArgumentException($"model '{model.Graph.Name}' has no outputs");
        var shape = TensorType.FromProto(chosen.Type)?.Shape ?? throw new ArgumentException($"input '{InputName}' declares no shape");
        if (shape.Rank < 2) throw new ArgumentException($"input '{InputName}' has shape {shape}; expected a batch axis followed by the sample's axes");
        if (shape.Skip(1).Any(d => !d.IsKnown)) throw new ArgumentException($"input '{InputName}' has shape {shape}: the sample's dimensions must be numbers to explain it");
        SampleShape = shape.Skip(1).Select(d => d.Value!.Value).ToArray();
        Layout = InputLayout.Of(SampleShape);
        _fixedBatch = shape[0].Value;
        Labels = model.Metadata.TryGetValue("labels", out var json) ? ParseLabels(json) : [];
        _forward = new GraphSession(model.ToBytes(), intraOpThreads);
    }

    /// <summary>Loads the model at <paramref name="path"/> and opens it.</summary>
    public static Explainer Load(string path, string? inputName = null, int intraOpThreads = 0) => new(OnnxModel.Load(path), inputName, intraOpThreads);

    /// <summary>Explains <paramref name="learner"/>'s model with its current weights (its inference graph: Dropout off, BatchNorm running statistics).</summary>
    public static Explainer ForLearner(Learner learner, int intraOpThreads = 0)
    {
        ArgumentNullException.ThrowIfNull(learner);
        var spec = learner.Artifacts?.Manifest.BatchInputs[0] ?? throw new InvalidOperationException("the learner has no model yet: call Fit (or Build) first");
        learner.WriteBackParameters();
        var dims = spec.Shape.Select(d => d.ValueKind == JsonValueKind.Number ? Dim.Of(d.GetInt64()) : Dim.Sym(d.GetString() ?? "batch"));
        var inputType = new TensorType(ElementType.Float32, new Shape(dims));
        return new Explainer(TrainingArtifacts.BuildInference(learner.Model, inputType, new TrainingArtifacts.Options { Metadata = learner.Metadata }), null, intraOpThreads);
    }

    /// <summary>The explained input.</summary>
    public string InputName { get; }
    /// <summary>The explained output (the model's first).</summary>
    public string OutputName { get; }
    /// <summary>The input's shape without the batch axis.</summary>
    public long[] SampleShape { get; }
    /// <summary>How the sample reads as an image or a feature vector.</summary>
    public InputLayout Layout { get; }
    /// <summary>Class names from the model's <c>labels</c> metadata (empty when it has none).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The model's (flattened) outputs for one sample.</summary>
    public float[] Predict(float[] sample)
    {
        CheckSample(sample);
        return Forward([sample])[0];
    }

    /// <summary>Attributes the target output at <paramref name="sample"/> (the input without its batch axis, row-major) to its elements.</summary>
    /// <exception cref="ArgumentException">The sample, target, steps, baseline or layer does not fit the model.</exception>
    public Attribution Explain(float[] sample, ExplainOptions? options = null)
    {
        options ??= new ExplainOptions();
        CheckSample(sample);
        if (options.BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {options.BatchSize}");
        var scores = Forward([sample])[0];
        int target = options.Target ?? ArgMax(scores);
        if (target < 0 || target >= scores.Length) throw new ArgumentException($"target {target} is out of range: the model has {scores.Length} outputs (0..{scores.Length - 1})");
        var result = new Attribution { Values = [], Shape = SampleShape, Method = options.Method, Target = target, Scores = scores };
        switch (options.Method)
        {
            case AttributionMethod.Saliency:
                return result with { Values = WeightedGradient([sample], [1f], target, options.BatchSize) };
            case AttributionMethod.SmoothGrad:
                return result with { Values = SmoothGrad(sample, target, options) };
            case AttributionMethod.IntegratedGradients:
                var (values, baselineOutput) = IntegratedGradients(sample, target, options);
                return result with { Values = values, BaselineOutput = baselineOutput, Steps = options.Steps, Rule = options.Rule };
            case AttributionMethod.GradCam:
                return result with { Values = GradCam(sample, target, options.Layer) };
            case AttributionMethod.Occlusion:
                var baseline = options.Baseline.For(sample, Layout);
                return result with { Values = Occlusion.Attribute(sample, baseline, target, Layout, options, Forward), BaselineOutput = Forward([baseline])[0][target] };
            default:
                throw new ArgumentException($"unknown method {options.Method}");
        }
    }

    /// <summary>
    /// The generated graph a gradient method runs (for inspection, or to run it elsewhere): inputs the model's input and
    /// <see cref="ExplainGraphs.Selection"/>; see <see cref="ExplainGraphs"/> for the outputs.
    /// </summary>
    public OnnxModel GradientGraph(AttributionMethod method, string? layer = null) => method switch
    {
        AttributionMethod.GradCam => ExplainGraphs.GradCam(_model, OutputName, ResolveLayer(layer)),
        AttributionMethod.Occlusion => throw new ArgumentException("occlusion runs the model itself; it has no gradient graph"),
        _ => ExplainGraphs.InputGradient(_model, InputName, OutputName),
    };

    private float[] SmoothGrad(float[] sample, int target, ExplainOptions o)
    {
        int samples = o.Noise?.Count ?? o.Samples;
        if (samples < 1) throw new ArgumentException($"SmoothGrad needs at least 1 sample, got {samples}");
        int badRow = o.Noise?.ToList().FindIndex(n => n is null || n.Length != sample.Length) ?? -1;
        if (badRow >= 0) throw new ArgumentException($"SmoothGrad noise row {badRow} has {o.Noise![badRow]?.Length ?? 0} values; each row takes the input's {sample.Length}");
        float sigma = o.NoiseLevel * (sample.Max() - sample.Min());
        var random = new Random(o.Seed);
        var noisy = new float[samples][];
        for (int s = 0; s < samples; s++)
        {
            noisy[s] = new float[sample.Length];
            for (int i = 0; i < sample.Length; i++) noisy[s][i] = sample[i] + sigma * (o.Noise is { } given ? given[s][i] : Gaussian(random));
        }
        return WeightedGradient(noisy, Enumerable.Repeat(1f / samples, samples).ToArray(), target, o.BatchSize);
    }

    private (float[] Values, float BaselineOutput) IntegratedGradients(float[] sample, int target, ExplainOptions o)
    {
        var (alphas, weights) = IntegrationPath.Quadrature(o.Rule, o.Steps);
        var baseline = o.Baseline.For(sample, Layout);
        var path = alphas.Select(a => IntegrationPath.Point(baseline, sample, a)).ToArray();
        var summed = WeightedGradient(path, weights.Select(w => (float)w).ToArray(), target, o.BatchSize);
        var values = new float[sample.Length];
        for (int i = 0; i < values.Length; i++) values[i] = (sample[i] - baseline[i]) * summed[i];
        return (values, Forward([baseline])[0][target]);
    }

    // Σₖ wₖ · ∂y_target/∂x at xₖ, in runs of at most batchSize rows of the input-gradient graph.
    private float[] WeightedGradient(float[][] points, float[] weights, int target, int batchSize)
    {
        var session = Graph(InputGradientKey, () => ExplainGraphs.InputGradient(_model, InputName, OutputName));
        var total = new double[points[0].Length];
        foreach (var (rows, rowWeights, _) in Chunks(points, weights, batchSize))
        {
            var selection = Selection(rows.Length, target, rowWeights);
            var grad = session.Run([(InputName, Stack(rows), [rows.Length, .. SampleShape]), (ExplainGraphs.Selection, selection.Data, selection.Shape)], ExplainGraphs.InputGradientSum)[0].Data;
            for (int i = 0; i < total.Length; i++) total[i] += grad[i];
        }
        return total.Select(v => (float)v).ToArray();
    }

    private float[] GradCam(float[] sample, int target, string? layer)
    {
        if (Layout.IsVector) throw new ArgumentException($"Grad-CAM needs an image input; '{InputName}' is a feature vector {Layout}");
        string value = ResolveLayer(layer);
        var session = Graph("gradcam:" + value, () => ExplainGraphs.GradCam(_model, OutputName, value));
        var rows = Pad([sample]);
        var selection = Selection(rows.Length, target, [1f]);
        var (cam, shape) = session.Run([(InputName, Stack(rows), [rows.Length, .. SampleShape]), (ExplainGraphs.Selection, selection.Data, selection.Shape)], ExplainGraphs.Cam)[0];
        int h = (int)shape[1], w = (int)shape[2];
        var map = ImageMaths.Bilinear(cam.AsSpan(0, h * w).ToArray(), h, w, Layout.Height, Layout.Width);
        var values = new float[Layout.Size];
        for (int c = 0; c < Layout.Channels; c++)
            for (int y = 0; y < Layout.Height; y++)
                for (int x = 0; x < Layout.Width; x++) values[Layout.Index(c, y, x)] = map[y * Layout.Width + x];
        return values;
    }

    /// <summary>The value whose Grad-CAM is taken: a value name, a node's name (its first output), or the last Conv's output.</summary>
    private string ResolveLayer(string? layer)
    {
        var nodes = _model.Graph.Nodes;
        if (layer is null)
            return nodes.LastOrDefault(n => n.OpType == "Conv")?.Outputs[0]
                ?? throw new ArgumentException($"model '{_model.Graph.Name}' has no Conv node for Grad-CAM; name a layer (a node or value of shape [batch, channels, h, w])");
        if (nodes.Any(n => n.Outputs.Contains(layer))) return layer;
        return nodes.FirstOrDefault(n => n.Name == layer)?.Outputs[0]
            ?? throw new ArgumentException($"model '{_model.Graph.Name}' has no node or value named '{layer}'; Conv nodes: {string.Join(", ", nodes.Where(n => n.OpType == "Conv").Select(n => n.Name.Length > 0 ? n.Name : n.Outputs[0]))}");
    }

    // The model's outputs for each sample, in runs the model's batch axis accepts.
    private float[][] Forward(float[][] samples)
    {
        var result = new List<float[]>();
        foreach (var (rows, _, count) in Chunks(samples, new float[samples.Length], 64))
        {
            var (data, shape) = _forward.Run([(InputName, Stack(rows), [rows.Length, .. SampleShape])], OutputName)[0];
            int width = (int)(data.Length / Math.Max(1, shape[0]));
            for (int r = 0; r < count; r++) result.Add(data.AsSpan(r * width, width).ToArray());
        }
        return [.. result];
    }

    private IEnumerable<(float[][] Rows, float[] Weights, int Count)> Chunks(float[][] rows, float[] weights, int batchSize)
    {
        int size = _fixedBatch is { } fixedSize ? (int)fixedSize : batchSize;
        for (int start = 0; start < rows.Length; start += size)
        {
            int n = Math.Min(size, rows.Length - start);
            // A model with a fixed batch axis gets full batches: the padding rows weigh 0, so they add nothing.
            var r = Pad(rows[start..(start + n)]);
            var w = new float[r.Length];
            Array.Copy(weights, start, w, 0, n);
            yield return (r, w, n);
        }
    }

    private float[][] Pad(float[][] rows) =>
        _fixedBatch is { } b && rows.Length < b ? [.. rows, .. Enumerable.Repeat(rows[^1], (int)b - rows.Length)] : rows;

    private (float[] Data, long[] Shape) Selection(int rows, int target, float[] weights)
    {
        int outputs = OutputCount;
        var data = new float[rows * outputs];
        for (int r = 0; r < rows; r++) data[r * outputs + target] = weights[r];
        return (data, [rows, outputs]);
    }

    // The flattened output's width, from one run (inference may not know it for an imported graph).
    private int OutputCount => _outputCount ??= Forward([new float[Layout.Size]])[0].Length;
    private int? _outputCount;

    private GraphSession Graph(string key, Func<OnnxModel> build)
    {
        lock (_graphs)
        {
            if (!_graphs.TryGetValue(key, out var s)) _graphs[key] = s = new GraphSession(build().ToBytes(), _threads);
            return s;
        }
    }

    private static float[] Stack(float[][] rows)
    {
        var all = new float[rows.Sum(r => r.Length)];
        int at = 0;
        foreach (var r in rows) { r.CopyTo(all, at); at += r.Length; }
        return all;
    }

    private void CheckSample(float[] sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.Length != Layout.Size)
            throw new ArgumentException($"the sample has {sample.Length} values; input '{InputName}' takes {Layout.Size} per sample (shape [{string.Join(", ", SampleShape)}])");
    }

    private static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static float Gaussian(Random r) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));

    private static string[] ParseLabels(string json)
    {
        try { return JsonSerializer.Deserialize<string[]>(json) ?? []; }
        catch (JsonException) { return []; }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _forward.Dispose();
        lock (_graphs) foreach (var s in _graphs.Values) s.Dispose();
    }
}
