namespace OnnxKit.Inference;

/// <summary>A model folder of the repository: its config and the versions served under its policy.</summary>
public sealed class ServedModel
{
    private volatile IReadOnlyDictionary<long, ModelVersion> _versions = new Dictionary<long, ModelVersion>();

    internal ServedModel(string name, string directory) { Name = name; Directory = directory; }

    /// <summary>Model name (the folder name).</summary>
    public string Name { get; }
    /// <summary>The model folder.</summary>
    public string Directory { get; }
    /// <summary>The config in force (defaults when there is no config.json).</summary>
    public ModelConfig Config { get; internal set; } = new();
    /// <summary>Why the model as a whole cannot serve (bad config.json, no versions); empty otherwise.</summary>
    public string Error { get; internal set; } = "";
    /// <summary>
    /// Why the config.json edited in while the model was serving could not be used (the last good config and versions
    /// keep serving until it is fixed); empty otherwise.
    /// </summary>
    public string ConfigError { get; internal set; } = "";
    /// <summary>The served versions by number.</summary>
    public IReadOnlyDictionary<long, ModelVersion> Versions { get => _versions; internal set => _versions = value; }

    internal string ConfigFingerprint { get; set; } = "";

    /// <summary>The highest ready version, or null.</summary>
    public ModelVersion? DefaultVersion => Newest(Versions);

    private static ModelVersion? Newest(IReadOnlyDictionary<long, ModelVersion> versions) =>
        versions.Values.Where(v => v.State == ModelState.Ready).OrderByDescending(v => v.Version).FirstOrDefault();

    /// <summary>Class labels: config.json's, else the default version's model metadata.</summary>
    public string[]? Labels(ModelVersion? version = null) => Config.Labels ?? (version ?? DefaultVersion)?.Info?.Labels;

    /// <summary>The reason no version can serve, for error messages.</summary>
    public string UnavailableReason =>
        Error.Length > 0 ? Error
        : Versions.Count == 0 ? "no version is served"
        : string.Join("; ", Versions.Values.OrderBy(v => v.Version).Select(v => $"version {v.Version}: {(v.State == ModelState.Loading ? "loading" : v.Error)}"));

    /// <summary>
    /// Takes a lease on <paramref name="version"/> (null: the highest ready version). Retries when a hot swap
    /// removed the version between lookup and lease, so a reload does not fail requests.
    /// </summary>
    public PredictorLease Acquire(long? version = null)
    {
        // A removed version is replaced by the rescan that removed it; on a busy machine that can take longer than a
        // few yields (a request failed in CI after 5), so retry for a bounded time instead of a bounded count.
        long deadline = Environment.TickCount64 + 2000;
        for (int attempt = 0; ; attempt++)
        {
            var versions = Versions;
            ModelVersion? v = version is { } n
                ? versions.GetValueOrDefault(n) ?? throw new ModelNotFoundException(Name, n, $"model '{Name}' has no version {n}; served versions: {string.Join(", ", versions.Keys.Order())}")
                : Newest(versions);
            if (v is null)
            {
                // A rescan publishes the new set of versions before it unloads the old ones, but this request may have
                // read the old set and then seen its version unloaded: the published set serves it.
                if (!ReferenceEquals(versions, Versions) && Environment.TickCount64 < deadline) { Thread.Yield(); continue; }
                throw new ModelUnavailableException(Name, null, UnavailableReason);
            }
            try { return v.Acquire(); }
            catch (ModelUnavailableException) when (v.Removed && Environment.TickCount64 < deadline)
            {
                if (attempt < 10) Thread.Yield(); else Thread.Sleep(1);
            }
        }
    }

    /// <summary>Index rows: one per version, or one for the model when it has an error or no versions.</summary>
    public IEnumerable<ModelStatus> Status()
    {
        if (Error.Length > 0 || Versions.Count == 0)
            return [new ModelStatus(Name, null, ModelState.Unavailable, UnavailableReason)];
        var rows = Versions.Values.OrderBy(v => v.Version).Select(v => v.Status);
        return ConfigError.Length == 0 ? rows
            : rows.Select(r => r with { Reason = r.Reason.Length == 0 ? ConfigError : $"{r.Reason}; {ConfigError}" });
    }
}

/// <summary>No model or version by that name.</summary>
public sealed class ModelNotFoundException(string name, long? version, string message) : Exception(message)
{
    /// <summary>The model asked for.</summary>
    public string ModelName { get; } = name;
    /// <summary>The version asked for.</summary>
    public long? Version { get; } = version;
}
