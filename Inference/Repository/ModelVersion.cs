namespace OnnxKit.Inference;

/// <summary>
/// One version folder of a served model (<c>&lt;name&gt;/&lt;version&gt;/model.onnx</c>): its state, its load error,
/// and the currently loaded predictor, which <see cref="Acquire"/> hands out under a lease.
/// </summary>
public sealed class ModelVersion
{
    private volatile LoadedModel? _loaded;

    internal ModelVersion(string name, long version, string path) { Name = name; Version = version; Path = path; }

    /// <summary>Model name.</summary>
    public string Name { get; }
    /// <summary>Version number.</summary>
    public long Version { get; }
    /// <summary>The model file.</summary>
    public string Path { get; }
    /// <summary>Where the version is in its life: loading, ready to serve, or unavailable (with the <see cref="Error"/>).</summary>
    public ModelState State { get; private set; } = ModelState.Loading;
    /// <summary>
    /// The load error when <see cref="State"/> is <see cref="ModelState.Unavailable"/>; when ready, the error of a
    /// failed reload while the previously loaded file keeps serving (empty otherwise).
    /// </summary>
    public string Error { get; private set; } = "";
    /// <summary>Metadata of the loaded model (null unless ready).</summary>
    public ModelInfo? Info => _loaded?.Predictor.Info;
    /// <summary>Requests waiting in this version's batcher.</summary>
    public int QueueDepth => _loaded?.Batcher?.QueueDepth ?? 0;

    internal string Fingerprint { get; set; } = "";
    internal bool Removed { get; set; }

    /// <summary>Takes a lease on the loaded model; throws <see cref="ModelUnavailableException"/> when it is not ready.</summary>
    public PredictorLease Acquire()
    {
        while (true)
        {
            var m = _loaded ?? throw new ModelUnavailableException(Name, Version,
                State == ModelState.Loading ? "still loading" : Error);
            if (m.TryAddRef()) return new PredictorLease(this, m);
            // Retired and freed between the read and the add-ref: the next read sees its replacement.
            Thread.Yield();
        }
    }

    internal void Install(LoadedModel model)
    {
        var old = _loaded;
        _loaded = model;
        State = ModelState.Ready; Error = "";
        old?.Retire();
    }

    /// <summary>
    /// The file failed to load. A version that never loaded becomes unavailable; one that serves keeps its loaded
    /// session (still ready) and reports the failed reload, so bad bytes written over a serving file fail no request.
    /// </summary>
    internal void Fail(string error)
    {
        if (_loaded is not null) { Error = $"serving the previously loaded file; reloading it failed: {error}"; return; }
        State = ModelState.Unavailable; Error = error;
    }

    internal void Unload()
    {
        var old = _loaded;
        State = ModelState.Unavailable; Error = "unloaded"; // before _loaded is cleared, so a failed Acquire says why
        _loaded = null;
        old?.Retire();
    }

    internal ModelStatus Status => new(Name, Version, State, Error);
}

/// <summary>A model or version exists but cannot serve; the message carries the load error.</summary>
public sealed class ModelUnavailableException(string name, long? version, string reason)
    : Exception($"model '{name}'{(version is { } v ? $" version {v}" : "")} is unavailable: {reason}")
{
    /// <summary>Name of the model that cannot serve.</summary>
    public string ModelName { get; } = name;
    /// <summary>The version, if one was named.</summary>
    public long? Version { get; } = version;
    /// <summary>The load error.</summary>
    public string Reason { get; } = reason;
}
