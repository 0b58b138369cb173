namespace OnnxKit.Inference;

/// <summary>
/// A loaded <see cref="Predictor"/> (or several instances of it) with its batcher and a reference count. The repository retires it when a
/// newer file replaces it; it is disposed only once the last lease taken before that has been returned, so a
/// hot swap never drops a request in flight.
/// </summary>
internal sealed class LoadedModel
{
    private readonly object _gate = new();
    private int _refs;
    private bool _retired, _disposed;

    /// <summary>
    /// Instances of one model: with batching, one batching loop per instance; without, a pool lending each request an
    /// instance of its own when the config names an instance count.
    /// </summary>
    public LoadedModel(IReadOnlyList<Predictor> instances, ModelConfig config, Action<int>? onBatch)
    {
        Instances = instances;
        Predictor = instances[0];
        if (config.MaxBatchSize > 1 && DynamicBatcher.CanBatch(Predictor.Info))
            Batcher = new DynamicBatcher(instances, config.MaxBatchSize, config.BatchWindow, onBatch);
        else if (config.InstanceCount > 0)
            Pool = new InstancePool<Predictor>(instances);
    }

    public Predictor Predictor { get; }
    public IReadOnlyList<Predictor> Instances { get; }
    public DynamicBatcher? Batcher { get; }
    public InstancePool<Predictor>? Pool { get; }

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
        foreach (var p in Instances) p.Dispose();
    }
}
