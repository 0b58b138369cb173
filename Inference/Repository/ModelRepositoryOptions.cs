namespace OnnxKit.Inference;

/// <summary>Settings of a <see cref="ModelRepository"/>.</summary>
public sealed class ModelRepositoryOptions
{
    /// <summary>Watch the folder for changes (FileSystemWatcher); the periodic rescan runs either way.</summary>
    public bool Watch { get; set; } = true;
    /// <summary>How often the folder is rescanned regardless of change notifications; zero disables it.</summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Delay after a change notification before rescanning, so a burst of writes is handled once.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Run each model once on zeros after loading.</summary>
    public bool WarmUp { get; set; } = true;
    /// <summary>Which models are loaded: every model found (<see cref="ModelControlMode.None"/>), or only those asked for.</summary>
    public ModelControlMode ModelControl { get; set; } = ModelControlMode.None;
    /// <summary>With <see cref="ModelControlMode.Explicit"/>, the models loaded at start.</summary>
    public IReadOnlyCollection<string> StartupModels { get; set; } = [];
    /// <summary>Called after every merged batch with the model name, version and number of rows.</summary>
    public Action<string, long, int>? OnBatch { get; set; }
    /// <summary>
    /// Called with the model name and the reason when a config.json edited into a serving model cannot be used (the
    /// model keeps serving with its last good config), so the server can log it.
    /// </summary>
    public Action<string, string>? OnConfigError { get; set; }
}
