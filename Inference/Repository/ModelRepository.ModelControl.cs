namespace OnnxKit.Inference;

/// <summary>How a <see cref="ModelRepository"/> decides which of its models to load (as Triton's <c>--model-control-mode</c>).</summary>
public enum ModelControlMode
{
    /// <summary>Every model in the folder is loaded, and changes are picked up by the rescan; load/unload requests are refused.</summary>
    None,
    /// <summary>Nothing is loaded until asked (<see cref="ModelRepository.LoadModel"/>, or the startup list); loaded models still follow file changes.</summary>
    Explicit,
}

public sealed partial class ModelRepository
{
    private readonly HashSet<string> _selected = new(StringComparer.Ordinal);
    private bool _selectedInitialised;

    /// <summary>The model-control mode.</summary>
    public ModelControlMode ModelControl => _options.ModelControl;

    /// <summary>The reason given for a model that explicit model control has not loaded.</summary>
    public static string NotLoadedReason(string name) => $"not loaded (model control is explicit: load it with POST /v2/repository/models/{name}/load)";

    // Called under _scanLock.
    private bool IsSelected(string name)
    {
        if (_options.ModelControl == ModelControlMode.None) return true;
        if (!_selectedInitialised) { _selected.UnionWith(_options.StartupModels); _selectedInitialised = true; }
        return _selected.Contains(name);
    }

    // A model folder explicit control has not loaded: listed, unavailable, nothing in memory. The config fingerprint is
    // forgotten so that a later load reads config.json afresh.
    private static bool LeaveUnloaded(ServedModel model)
    {
        string reason = NotLoadedReason(model.Name);
        if (model.Versions.Count == 0 && model.Error == reason) return false;
        Replace(model, new Dictionary<long, ModelVersion>());
        model.Error = reason;
        model.ConfigFingerprint = "";
        model.ConfigError = "";
        return true;
    }

    /// <summary>
    /// Loads (or reloads what changed of) model <paramref name="name"/> now and keeps it loaded; only with
    /// <see cref="ModelControlMode.Explicit"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The mode is <see cref="ModelControlMode.None"/>.</exception>
    /// <exception cref="ModelNotFoundException">No such model folder.</exception>
    /// <exception cref="ModelUnavailableException">The model was found but no version of it could be loaded (the message says why).</exception>
    public void LoadModel(string name)
    {
        RequireExplicit("load");
        lock (_scanLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            string dir = ModelFolder(name);
            IsSelected(name);
            _selected.Add(name);
            var model = _models.GetOrAdd(name, n => new ServedModel(n, dir));
            if (model.Error == NotLoadedReason(name)) model.Error = "";
            ScanModel(model);
        }
        Changed?.Invoke();
        var loaded = Find(name)!;
        if (loaded.DefaultVersion is null) throw new ModelUnavailableException(name, null, loaded.UnavailableReason);
    }

    /// <summary>
    /// Unloads every version of model <paramref name="name"/> (requests in flight finish first) and keeps it unloaded
    /// until loaded again; only with <see cref="ModelControlMode.Explicit"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The mode is <see cref="ModelControlMode.None"/>.</exception>
    /// <exception cref="ModelNotFoundException">No such model.</exception>
    public void UnloadModel(string name)
    {
        RequireExplicit("unload");
        lock (_scanLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            IsSelected(name);
            var model = Find(name) ?? throw NotFound(name);
            _selected.Remove(name);
            LeaveUnloaded(model);
        }
        Changed?.Invoke();
    }

    private void RequireExplicit(string what)
    {
        if (_options.ModelControl != ModelControlMode.Explicit)
            throw new InvalidOperationException($"cannot {what} models: model control is '{_options.ModelControl.ToString().ToLowerInvariant()}' (every model in the repository is loaded and follows its files); start the server with --model-control explicit");
    }

    private string ModelFolder(string name)
    {
        string dir = Path.Combine(Root, name);
        bool plain = name.Length > 0 && !name.StartsWith('.') && name.IndexOfAny(['/', '\\']) < 0;
        return plain && Directory.Exists(dir) ? dir : throw NotFound(name);
    }

    private ModelNotFoundException NotFound(string name) =>
        new(name, null, $"no model '{name}' in the repository; models: {string.Join(", ", _models.Keys.Order())}");
}
