using OnnxKit.Interop.Import;

namespace OnnxKit.Interop.Inspect;

/// <summary>A graph input or output: its name and type as text (e.g. <c>float[batch, 3, 224, 224]</c>).</summary>
public sealed record ValueDescription(string Name, string Type)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Type}";
}

/// <summary>The parameters of one layer (initializers grouped by the name before their last dot, PyTorch-style).</summary>
public sealed record LayerParameters(string Name, int Tensors, long Parameters, long Bytes);

/// <summary>What <see cref="ModelInspector"/> found in a model.</summary>
public sealed class ModelInspection
{
    /// <summary>The <c>name</c> field of the model's graph.</summary>
    public required string GraphName { get; init; }
    /// <summary>Producer name and version ("?" where the file does not say).</summary>
    public required string Producer { get; init; }
    /// <summary>The ONNX IR version the file declares (which protobuf fields a reader may meet).</summary>
    public required long IrVersion { get; init; }
    /// <summary>Operator-set imports (domain, "ai.onnx" for the standard one → version).</summary>
    public required IReadOnlyDictionary<string, long> Opsets { get; init; }
    /// <summary>Inputs a caller feeds (initializers excluded).</summary>
    public required IReadOnlyList<ValueDescription> Inputs { get; init; }
    /// <summary>The graph outputs, in order.</summary>
    public required IReadOnlyList<ValueDescription> Outputs { get; init; }
    /// <summary>
    /// Trainable values, counted as PyTorch's <c>sum(p.numel() for p in model.parameters())</c> counts them where the
    /// export kept the modules: float initializers and the exporter's Identity copies of them (PyTorch stores equal
    /// tensors once, e.g. fresh BatchNorm weights, and recreates the others with Identity), each copy counted; a tensor
    /// read by several nodes (a tied weight) counted once; BatchNorm running statistics left out (they are buffers).
    /// </summary>
    public required long ParameterCount { get; init; }
    /// <summary>Elements of the buffers (BatchNorm running mean and variance), not in <see cref="ParameterCount"/>.</summary>
    public long BufferCount { get; init; }
    /// <summary>Identity copies of stored tensors counted as parameters of their own in <see cref="ParameterCount"/>.</summary>
    public int SharedCopies { get; init; }

    /// <summary>The parameter line of the report, saying how shared tensors and buffers are counted.</summary>
    public string ParameterLine => $"params    {ParameterCount:N0} trainable values (as PyTorch's sum of parameters' numel; {BufferCount:N0} BatchNorm running-statistic values are buffers, "
        + $"not counted; {SharedCopies} tensor(s) the exporter stored once behind Identity nodes counted once per copy; a tensor read by several nodes counted once) "
        + $"in {Layers.Count} tensor groups, {ParameterBytes / 1024.0 / 1024.0:F2} MiB";
    /// <summary>Bytes of all initializers.</summary>
    public required long ParameterBytes { get; init; }
    /// <summary>Parameters per layer, in file order.</summary>
    public required IReadOnlyList<LayerParameters> Layers { get; init; }
    /// <summary>Node count per operator (<c>domain.Op</c> outside the standard domain), sorted by name.</summary>
    public required IReadOnlyDictionary<string, int> OpHistogram { get; init; }
    /// <summary>Operators in the model that have no gradient rule (whether or not they are on a training path), sorted.</summary>
    public required IReadOnlyList<string> OpsWithoutGradient { get; init; }
    /// <summary>What stops training, node by node.</summary>
    public required TrainabilityReport Trainability { get; init; }
    /// <summary>What the export did that matters for fine-tuning (e.g. BatchNorm folded into convolutions), one line each with the fix.</summary>
    public IReadOnlyList<string> ExportWarnings { get; init; } = [];
    /// <summary>Model metadata.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
}
