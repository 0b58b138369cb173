using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxKit.Training.Artifacts;

/// <summary>A tensor input or output of a training graph, as the manifest lists it.</summary>
public sealed record TensorSpec
{
    /// <summary>Value name in the graph.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>ONNX element type name (<c>float</c>, <c>int64</c>, …).</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }
    /// <summary>Dimensions: numbers, or strings for symbolic dimensions such as <c>batch</c>.</summary>
    [JsonPropertyName("shape")] public required JsonElement[] Shape { get; init; }
    /// <summary>For a target input: the model output it is compared with (null for a model input).</summary>
    [JsonPropertyName("target_of")] public string? TargetOf { get; init; }
}

/// <summary>
/// One piece of training state: read by the train step under <see cref="Name"/> and produced, for the next
/// step, under <see cref="Next"/>.
/// </summary>
public sealed record StateSpec
{
    /// <summary>Input name (parameter, optimizer slot or buffer).</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Output name holding the value for the next step.</summary>
    [JsonPropertyName("next")] public required string Next { get; init; }
    /// <summary><c>parameter</c>, <c>optimizer</c> or <c>buffer</c>.</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    /// <summary>For optimizer slots: the parameter it belongs to.</summary>
    [JsonPropertyName("parameter")] public string? Parameter { get; init; }
    /// <summary>Element type name.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }
    /// <summary>Dimensions (all known).</summary>
    [JsonPropertyName("shape")] public required long[] Shape { get; init; }
}

/// <summary>
/// <c>manifest.json</c> of a training-artifacts directory: how to run <c>train_step.onnx</c> in a loop from
/// any ONNX Runtime binding. Documented in <c>docs/artifacts.md</c>.
/// </summary>
public sealed record Manifest
{
    /// <summary>Format identifier.</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = "onnxkit-training-artifacts";
    /// <summary>Format version.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 2;
    /// <summary>The fused forward + loss + backward + update graph.</summary>
    [JsonPropertyName("train_step")] public string TrainStep { get; init; } = "train_step.onnx";
    /// <summary>Forward + loss with parameters as inputs (no update).</summary>
    [JsonPropertyName("eval")] public string Eval { get; init; } = "eval.onnx";
    /// <summary>The inference model with the checkpoint's weights baked in.</summary>
    [JsonPropertyName("inference")] public string Inference { get; init; } = "inference.onnx";
    /// <summary>Split mode: the gradient graph (batch + parameters → loss + gradients).</summary>
    [JsonPropertyName("gradients")] public string? Gradients { get; init; }
    /// <summary>Split mode: the optimizer graph (parameters + gradients + state → next parameters + state).</summary>
    [JsonPropertyName("optimizer_graph")] public string? OptimizerGraph { get; init; }
    /// <summary>The checkpoint holding the initial (or latest) state.</summary>
    [JsonPropertyName("checkpoint")] public string Checkpoint { get; init; } = "checkpoint.safetensors";
    /// <summary>Batch inputs: the model's inputs (features), then one target input per trained output.</summary>
    [JsonPropertyName("batch_inputs")] public required TensorSpec[] BatchInputs { get; init; }
    /// <summary>Float32 scalar inputs fed every step besides the batch: <c>["lr"]</c>, the learning rate (version 1 also listed host-computed bias corrections).</summary>
    [JsonPropertyName("step_scalars")] public required string[] StepScalars { get; init; }
    /// <summary>State carried from step to step.</summary>
    [JsonPropertyName("state")] public required StateSpec[] State { get; init; }
    /// <summary>Name of the scalar loss output.</summary>
    [JsonPropertyName("loss")] public string Loss { get; init; } = "loss";
    /// <summary>Name of the model-output output (logits/predictions of the batch).</summary>
    [JsonPropertyName("output")] public string Output { get; init; } = "output";
    /// <summary>Every model output in graph order, for a model of several inputs or outputs (null: just <see cref="Output"/>).</summary>
    [JsonPropertyName("outputs")] public string[]? Outputs { get; init; }
    /// <summary>The weight of each trained output's loss in the total loss, for a model of several outputs (null: one loss, weight 1).</summary>
    [JsonPropertyName("loss_weights")] public Dictionary<string, double>? LossWeights { get; init; }
    /// <summary>Optimizer name and hyper-parameters, for the record.</summary>
    [JsonPropertyName("optimizer")] public Dictionary<string, JsonElement> Optimizer { get; init; } = [];
    /// <summary>Loss name.</summary>
    [JsonPropertyName("loss_function")] public string? LossFunction { get; init; }
    /// <summary>
    /// Fewest samples a training batch may hold: 2 when a BatchNorm layer gets one value per channel per sample (with one
    /// sample its batch variance is 0/0 for the running estimate, which PyTorch refuses as well), else 1.
    /// </summary>
    [JsonPropertyName("min_training_batch")] public int MinTrainingBatch { get; init; } = 1;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Serialises to indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a manifest file, naming the file when it is not a valid manifest.</summary>
    public static Manifest Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"training artifacts manifest '{path}' does not exist", path);
        try
        {
            var m = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"'{path}' is empty");
            if (m.Format != "onnxkit-training-artifacts") throw new InvalidDataException($"'{path}' has format '{m.Format}', expected 'onnxkit-training-artifacts'");
            return m;
        }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a valid manifest: {e.Message}", e); }
    }
}
