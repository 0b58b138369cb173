namespace OnnxKit.IR;

/// <summary>How <see cref="OnnxModel.Save(string, SaveOptions?)"/> stores tensor data.</summary>
public sealed record SaveOptions
{
    /// <summary>
    /// Store tensors of at least <see cref="ExternalThresholdBytes"/> in a data file beside the model.
    /// Null (default) means: only when the model would not fit the 2 GB protobuf limit.
    /// </summary>
    public bool? UseExternalData { get; init; }

    /// <summary>Tensors smaller than this stay inline even with external data on (default 1 KiB, as ONNX's own tools).</summary>
    public long ExternalThresholdBytes { get; init; } = 1024;

    /// <summary>Name of the data file, relative to the model's folder (default: the model's file name + <c>.data</c>).</summary>
    public string? ExternalFileName { get; init; }
}
