using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace OnnxKit.Inference;

/// <summary>
/// What a loaded model says about itself: graph name, producer, opsets, inputs and outputs, and the custom
/// metadata a trainer stores in <c>metadata_props</c>. Two keys are understood: <c>labels</c> (a JSON array of
/// class names) and <c>normalization</c> (JSON <c>{"mean": [...], "std": [...]}</c> applied to inputs in training).
/// </summary>
public sealed class ModelInfo
{
    /// <summary>Metadata key holding the class labels as a JSON array of strings.</summary>
    public const string LabelsKey = "labels";
    /// <summary>Metadata key holding the input normalisation as JSON <c>{"mean": [...], "std": [...]}</c>.</summary>
    public const string NormalizationKey = "normalization";

    /// <summary>The <c>name</c> field of the model's graph (not the name the server serves it under).</summary>
    public required string GraphName { get; init; }
    /// <summary><c>producer_name</c>.</summary>
    public required string Producer { get; init; }
    /// <summary><c>producer_version</c>.</summary>
    public required string ProducerVersion { get; init; }
    /// <summary>The model's own <c>model_version</c> field.</summary>
    public long ModelVersion { get; init; }
    /// <summary><c>domain</c>.</summary>
    public string Domain { get; init; } = "";
    /// <summary><c>doc_string</c>.</summary>
    public string Description { get; init; } = "";
    /// <summary>ONNX IR version.</summary>
    public long IrVersion { get; init; }
    /// <summary>Opset of the default (<c>ai.onnx</c>) domain; 0 when not imported.</summary>
    public long Opset => Opsets.TryGetValue("", out var v) ? v : 0;
    /// <summary>Every imported opset by domain (the default domain is "").</summary>
    public required IReadOnlyDictionary<string, long> Opsets { get; init; }
    /// <summary>Graph inputs in declaration order (initializers excluded).</summary>
    public required IReadOnlyList<TensorInfo> Inputs { get; init; }
    /// <summary>Graph outputs in declaration order.</summary>
    public required IReadOnlyList<TensorInfo> Outputs { get; init; }
    /// <summary>Custom metadata (<c>metadata_props</c>).</summary>
    public required IReadOnlyDictionary<string, string> CustomMetadata { get; init; }
    /// <summary>Class labels from the <c>labels</c> metadata, or null.</summary>
    public string[]? Labels { get; init; }
    /// <summary>Per-channel mean from the <c>normalization</c> metadata, or null.</summary>
    public float[]? NormalizationMean { get; init; }
    /// <summary>Per-channel standard deviation from the <c>normalization</c> metadata, or null.</summary>
    public float[]? NormalizationStd { get; init; }

    /// <summary>The input named <paramref name="name"/>, or null.</summary>
    public TensorInfo? Input(string name) => Inputs.FirstOrDefault(i => i.Name == name);
    /// <summary>The output named <paramref name="name"/>, or null.</summary>
    public TensorInfo? Output(string name) => Outputs.FirstOrDefault(i => i.Name == name);

    internal static ModelInfo From(InferenceSession session, OnnxHeader header, string what)
    {
        var meta = session.ModelMetadata;
        var custom = new Dictionary<string, string>(meta.CustomMetadataMap);
        string[]? labels = null;
        if (custom.TryGetValue(LabelsKey, out var lj))
        {
            try { labels = JsonSerializer.Deserialize<string[]>(lj); }
            catch (JsonException e) { throw new InvalidDataException($"{what}: metadata '{LabelsKey}' must be a JSON array of strings: {e.Message}"); }
        }
        float[]? mean = null, std = null;
        if (custom.TryGetValue(NormalizationKey, out var nj))
        {
            try
            {
                using var doc = JsonDocument.Parse(nj);
                mean = ReadFloats(doc.RootElement, "mean");
                std = ReadFloats(doc.RootElement, "std");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{what}: metadata '{NormalizationKey}' must be JSON {{\"mean\": [..], \"std\": [..]}}: {e.Message}");
            }
        }
        return new ModelInfo
        {
            GraphName = meta.GraphName,
            Producer = header.ProducerName.Length > 0 ? header.ProducerName : meta.ProducerName,
            ProducerVersion = header.ProducerVersion,
            ModelVersion = meta.Version,
            Domain = meta.Domain,
            Description = meta.Description,
            IrVersion = header.IrVersion,
            Opsets = header.Opsets,
            Inputs = session.InputNames.Select(n => TensorInfo.From(n, session.InputMetadata[n])).ToArray(),
            Outputs = session.OutputNames.Select(n => TensorInfo.From(n, session.OutputMetadata[n])).ToArray(),
            CustomMetadata = custom,
            Labels = labels,
            NormalizationMean = mean,
            NormalizationStd = std,
        };
    }

    private static float[]? ReadFloats(JsonElement root, string key) =>
        root.TryGetProperty(key, out var e) ? e.ValueKind == JsonValueKind.Number ? [e.GetSingle()] : e.EnumerateArray().Select(x => x.GetSingle()).ToArray() : null;
}
