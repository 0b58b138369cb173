using System.Collections.Concurrent;
using System.Globalization;

namespace OnnxKit.Inference;

/// <summary>
/// A folder of models laid out as <c>&lt;name&gt;/&lt;version&gt;/model.onnx</c> with an optional
/// <c>&lt;name&gt;/config.json</c> (<see cref="ModelConfig"/>). <see cref="Start"/> loads it; afterwards changes are
/// picked up from file-system notifications and a periodic rescan. A changed file is loaded beside the old one and
/// swapped in; the old predictor is disposed once its last in-flight request is done. A file that fails to load never
/// takes down what serves: a new version that fails is listed unavailable with the error while the previous version
/// keeps answering, and a serving file overwritten with bad bytes keeps its loaded session (the index gives the
/// reload error) until a file that loads arrives.
/// </summary>
public sealed partial class ModelRepository : IDisposable
{
    /// <summary>The model file name inside a version folder.</summary>
    public const string ModelFileName = "model.onnx";

    private readonly ModelRepositoryOptions _options;
    private readonly ConcurrentDictionary<string, ServedModel> _models = new(StringComparer.Ordinal);
    private readonly object _scanLock = new();
    private FileSystemWatcher? _watcher;
    private Timer? _periodic, _debounce;
    private volatile bool _disposed;

    /// <summary>A repository over <paramref name="root"/> (nothing is loaded until <see cref="Start"/>).</summary>
    public ModelRepository(string root, ModelRepositoryOptions? options = null)
    {
        Root = Path.GetFullPath(root);
        _options = options ?? new();
    }

    /// <summary>The repository folder.</summary>
    public string Root { get; }

    /// <summary>True once the first scan has finished.</summary>
    public bool IsReady { get; private set; }

    /// <summary>Raised after a rescan changed something.</summary>
    public event Action? Changed;

    /// <summary>The models found, by name.</summary>
    public IReadOnlyCollection<ServedModel> Models => _models.Values.OrderBy(m => m.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Scans the folder, loads every model, and starts watching.</summary>
    public void Start()
    {
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"model repository '{Root}' does not exist");
        Rescan();
        IsReady = true;
        if (_options.Watch)
        {
            try
            {
                _watcher = new FileSystemWatcher(Root) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size };
                FileSystemEventHandler h = (_, _) => _debounce?.Change(_options.Debounce, Timeout.InfiniteTimeSpan);
                _watcher.Changed += h; _watcher.Created += h; _watcher.Deleted += h;
                _watcher.Renamed += (_, _) => _debounce?.Change(_options.Debounce, Timeout.InfiniteTimeSpan);
                _debounce = new Timer(_ => SafeRescan());
                _watcher.EnableRaisingEvents = true;
            }
            catch (IOException) { _watcher?.Dispose(); _watcher = null; } // e.g. inotify limits: the periodic rescan still works
        }
        if (_options.RescanInterval > TimeSpan.Zero)
            _periodic = new Timer(_ => SafeRescan(), null, _options.RescanInterval, _options.RescanInterval);
    }

    /// <summary>The model named <paramref name="name"/>, or null.</summary>
    public ServedModel? Find(string name) => _models.GetValueOrDefault(name);

    /// <summary>Takes a lease on a model version (null: its highest ready version).</summary>
    /// <exception cref="ModelNotFoundException">No such model or version.</exception>
    /// <exception cref="ModelUnavailableException">It exists but failed to load.</exception>
    public PredictorLease Acquire(string name, long? version = null) =>
        (Find(name) ?? throw new ModelNotFoundException(name, version, $"no model '{name}' in the repository; models: {string.Join(", ", _models.Keys.Order())}"))
        .Acquire(version);

    /// <summary>The state of every model version.</summary>
    public IReadOnlyList<ModelStatus> Index() => Models.SelectMany(m => m.Status()).ToArray();

    private void SafeRescan()
    {
        if (_disposed) return;
        try { Rescan(); } catch (Exception) when (!_disposed) { /* a transient I/O error: the next scan retries */ }
    }

    /// <summary>Scans the folder now and applies every change (synchronously).</summary>
    public void Rescan()
    {
        lock (_scanLock)
        {
            if (_disposed) return;
            bool changed = false;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var dir in Directory.EnumerateDirectories(Root))
            {
                string name = Path.GetFileName(dir);
                if (name.StartsWith('.')) continue;
                seen.Add(name);
                var model = _models.GetOrAdd(name, n => new ServedModel(n, dir));
                changed |= IsSelected(name) ? ScanModel(model) : LeaveUnloaded(model);
            }
            foreach (var gone in _models.Keys.Where(k => !seen.Contains(k)).ToArray())
                if (_models.TryRemove(gone, out var m)) { foreach (var v in m.Versions.Values) { v.Removed = true; v.Unload(); } changed = true; }
            if (changed) Changed?.Invoke();
        }
    }

    private bool ScanModel(ServedModel model)
    {
        string configPath = Path.Combine(model.Directory, ModelConfig.FileName);
        string configFp = Fingerprint(configPath);
        bool configChanged = configFp != model.ConfigFingerprint;
        if (configChanged)
        {
            model.ConfigFingerprint = configFp;
            try { model.Config = ModelConfig.Load(configPath); model.Error = ""; model.ConfigError = ""; }
            catch (InvalidDataException e) when (model.DefaultVersion is not null)
            {
                // A broken config.json edited into a serving model keeps the last good config and versions serving (as
                // a broken new version does), so a typo in an edit does not take a model down; the index says why.
                model.ConfigError = $"{e.Message} (serving with the last good {ModelConfig.FileName} until it is fixed)";
                _options.OnConfigError?.Invoke(model.Name, model.ConfigError);
                return true;
            }
            catch (InvalidDataException e) { model.Error = e.Message; model.ConfigError = ""; }
        }
        if (model.ConfigError.Length > 0) return false; // still broken: what serves stays as it is
        if (model.Error.Length > 0 && !model.Error.StartsWith("no version", StringComparison.Ordinal))
        {
            // A broken config.json before anything served: nothing of this model serves until it is fixed.
            bool had = model.Versions.Count > 0;
            Replace(model, new Dictionary<long, ModelVersion>());
            return had || configChanged;
        }

        var present = new Dictionary<long, string>();
        foreach (var vdir in Directory.EnumerateDirectories(model.Directory))
            if (long.TryParse(Path.GetFileName(vdir), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && File.Exists(Path.Combine(vdir, ModelFileName)))
                present[n] = Path.Combine(vdir, ModelFileName);
        model.Error = present.Count == 0 ? $"no versions: expected {model.Name}/<version>/{ModelFileName}" : "";

        bool changed = false;
        var next = new Dictionary<long, ModelVersion>();
        var policy = model.Config.VersionPolicy;
        // Under a "latest" policy a version that fails to load never takes the model down: older versions are
        // walked (newest first) until as many are ready as the policy serves, and the failed ones stay in the index
        // as unavailable with their reason. Other policies name their versions, so exactly those are served.
        var candidates = policy.Kind == VersionPolicyKind.Latest ? present.Keys.OrderByDescending(v => v) : policy.Select(present.Keys);
        int ready = 0;
        foreach (var v in candidates)
        {
            if (policy.Kind == VersionPolicyKind.Latest && ready >= policy.Count) break;
            string fp = Fingerprint(present[v]) + "|" + configFp;
            var mv = model.Versions.GetValueOrDefault(v);
            if (mv is null || mv.Fingerprint != fp)
            {
                mv ??= new ModelVersion(model.Name, v, present[v]);
                Load(model, mv);
                mv.Fingerprint = fp;
                changed = true;
            }
            next[v] = mv;
            if (mv.State == ModelState.Ready) ready++;
        }
        changed |= !next.Keys.Order().SequenceEqual(model.Versions.Keys.Order());
        Replace(model, next);
        return changed;
    }

    private static void Replace(ServedModel model, Dictionary<long, ModelVersion> next)
    {
        var old = model.Versions;
        model.Versions = next; // publish the new set first, so a request that lost a race finds the new version
        foreach (var (n, v) in old)
            if (!next.ContainsKey(n)) { v.Removed = true; v.Unload(); }
    }

    private void Load(ServedModel model, ModelVersion mv)
    {
        var cfg = model.Config;
        var opts = new PredictorOptions
        {
            Name = model.Name,
            ExecutionProvider = cfg.ExecutionProvider,
            IntraOpThreads = cfg.IntraOpThreads,
            AllowSpinning = cfg.AllowSpinning,
            WarmUp = _options.WarmUp,
        };
        try
        {
            var onBatch = _options.OnBatch;
            mv.Install(ModelInstances.Load(mv.Path, opts, cfg, onBatch is null ? null : rows => onBatch(model.Name, mv.Version, rows)));
        }
        catch (Exception e) when (e is ModelLoadException or InvalidDataException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // ModelLoadException carries ONNX Runtime's reason. A version already serving
            // keeps its in-memory session until a file that loads arrives.
            mv.Fail($"{Path.GetRelativePath(Root, mv.Path)}: {e.Message}");
        }
    }

    private static string Fingerprint(string path)
    {
        var fi = new FileInfo(path);
        return fi.Exists ? $"{fi.Length}:{fi.LastWriteTimeUtc.Ticks}" : "none";
    }

    /// <summary>Stops watching and unloads every model (after in-flight requests finish).</summary>
    public void Dispose()
    {
        _disposed = true;
        _watcher?.Dispose();
        _periodic?.Dispose();
        _debounce?.Dispose();
        lock (_scanLock)
        {
            foreach (var m in _models.Values)
                foreach (var v in m.Versions.Values) { v.Removed = true; v.Unload(); }
            _models.Clear();
        }
    }
}
