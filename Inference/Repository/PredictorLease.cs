namespace OnnxKit.Inference;

/// <summary>
/// A hold on one loaded model version: while it is held the model is not unloaded, even if a newer file
/// replaces it. Dispose it when the request is done.
/// </summary>
public sealed class PredictorLease : IDisposable
{
    private LoadedModel? _model;

    internal PredictorLease(ModelVersion version, LoadedModel model) { Version = version; _model = model; Predictor = model.Predictor; }

    /// <summary>The version this lease holds.</summary>
    public ModelVersion Version { get; }

    /// <summary>The predictor (valid until the lease is disposed).</summary>
    public Predictor Predictor { get; }

    /// <summary>How many instances (sessions) of the model this version runs.</summary>
    public int InstanceCount => _model?.Instances.Count ?? 0;

    /// <summary>The batcher of this version, or null when the model is not batched.</summary>
    public DynamicBatcher? Batcher => _model?.Batcher;

    /// <summary>
    /// Runs one request: through the dynamic batcher when the model has one, directly otherwise. The inputs are checked
    /// once (<see cref="InputValidator"/>), here or by the batcher, and not again on the way to ONNX Runtime.
    /// </summary>
    public Task<Prediction> InferAsync(IReadOnlyDictionary<string, TensorValue> inputs, CancellationToken cancel = default)
    {
        var model = _model ?? throw new ObjectDisposedException(nameof(PredictorLease));
        if (model.Batcher is { } b) return b.EnqueueAsync(inputs, cancel);
        var p = model.Predictor;
        p.Validate(inputs); // once, and at once, so a bad request does not wait for an instance
        return model.Pool is { } pool
            ? pool.RunAsync(instance => instance.RunValidated(inputs), cancel)
            : Task.FromResult(p.RunValidated(inputs));
    }

    /// <inheritdoc/>
    public void Dispose() => Interlocked.Exchange(ref _model, null)?.Release();
}
