namespace OnnxKit.Inference;

/// <summary>
/// A loaded <see cref="Predictor"/> with its batcher and a reference count. The repository retires it when a
/// newer file replaces it; it is disposed only once the last lease taken before that has been returned, so a
/// hot swap never drops a request in flight.
/// </summary>
internal sealed class LoadedModel
{
    private readonly object _gate = new();
    private int _refs;
    private bool _retired, _disposed;

    public LoadedModel(Predictor predictor, ModelConfig config, Action<int>? onBatch)
    {
        Predictor = predictor;
        if (config.MaxBatchSize > 1 && DynamicBatcher.CanBatch(predictor.Info))
            Batcher = new DynamicBatcher(predictor, config.MaxBatchSize, config.BatchWindow, onBatch);
    }

    public Predictor Predictor { get; }
    public DynamicBatcher? Batcher { get; }

    public bool TryAddRef()
    {
        lock (_gate)
        {
            if (_disposed) return false;
            _refs++;
            return true;
        }
    }

    public void Release()
    {
        lock (_gate) { if (--_refs > 0 || !_retired) return; }
        Free();
    }

    public void Retire()
    {
        lock (_gate) { _retired = true; if (_refs > 0) return; }
        Free();
    }

    private void Free()
    {
        lock (_gate) { if (_disposed) return; _disposed = true; }
        Batcher?.Dispose();
        Predictor.Dispose();
    }
}
