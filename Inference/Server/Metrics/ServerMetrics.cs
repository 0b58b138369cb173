using OnnxKit.Inference;
using Prometheus;

namespace OnnxKit.Server;

/// <summary>
/// Server metrics in the Prometheus exposition format (prometheus-net): requests by model, endpoint and status; request
/// latency and batch size histograms by model; queue depth and model state by model version; requests in flight;
/// and the process, GC and thread-pool metrics of the .NET runtime. Label values are bounded: a request naming a
/// model the repository does not hold is counted under <see cref="UnknownModel"/>, so hostile or mistyped names
/// cannot grow the exposition.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>The model label of requests for models the repository does not hold.</summary>
    public const string UnknownModel = "_unknown";

    private static readonly double[] LatencyBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    // Each server owns its registry, so several servers in one process (tests, the bench) keep separate counts.
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Histogram _latency, _batch;
    private readonly Gauge _queueDepth, _ready, _inFlight;
    private ModelRepository? _repository;
    private HashSet<(string, string)> _versionSeries = [];
    private int _inFlightCount;

    /// <summary>Creates the collectors and registers the runtime's process, GC and thread-pool metrics.</summary>
    public ServerMetrics()
    {
        var f = Prometheus.Metrics.WithCustomRegistry(_registry);
        _requests = f.CreateCounter("onnxkit_requests_total", "Inference server requests by model, endpoint and HTTP status.", "model", "endpoint", "status");
        _latency = f.CreateHistogram("onnxkit_request_duration_seconds", "Request latency by model.", new HistogramConfiguration { LabelNames = ["model"], Buckets = LatencyBounds });
        _batch = f.CreateHistogram("onnxkit_batch_size", "Rows per merged model run by model.", new HistogramConfiguration { LabelNames = ["model"], Buckets = BatchBounds });
        _queueDepth = f.CreateGauge("onnxkit_queue_depth", "Requests waiting in the dynamic batcher by model version.", "model", "version");
        _ready = f.CreateGauge("onnxkit_model_ready", "1 when the model version serves, 0 when it is loading or unavailable.", "model", "version");
        _inFlight = f.CreateGauge("onnxkit_requests_in_flight", "Requests being handled.");
        var threads = f.CreateGauge("dotnet_threadpool_threads", "Thread-pool threads that currently exist.");
        var queued = f.CreateGauge("dotnet_threadpool_queue_length", "Work items queued to the thread pool, not yet started.");
        var completed = f.CreateGauge("dotnet_threadpool_completed_items", "Work items the thread pool has completed since the process started.");
        // Bytes allocated per request (this over the request count) is what the request path's allocations cost.
        var allocated = f.CreateCounter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since the process started.");
        DotNetStats.Register(_registry); // process_* (CPU, memory, handles, start time) and dotnet_* (GC collections, heap, allocations)
        _registry.AddBeforeCollectCallback(() =>
        {
            threads.Set(ThreadPool.ThreadCount);
            queued.Set(ThreadPool.PendingWorkItemCount);
            completed.Set(ThreadPool.CompletedWorkItemCount);
            allocated.IncTo(GC.GetTotalAllocatedBytes());
            _inFlight.Set(InFlight);
            if (_repository is { } r) RefreshVersions(r);
        });
    }

    /// <summary>The repository whose models label the series and whose versions the gauges describe.</summary>
    public void Attach(ModelRepository repository) => _repository = repository;

    /// <summary>Counts a finished request and its latency.</summary>
    public void Request(string model, string endpoint, int status, TimeSpan elapsed)
    {
        string label = Label(model);
        _requests.WithLabels(label, endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _latency.WithLabels(label).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Records a merged batch.</summary>
    public void Batch(string model, int rows) => _batch.WithLabels(Label(model)).Observe(rows);

    /// <summary>The number of requests being handled.</summary>
    public int InFlight => Volatile.Read(ref _inFlightCount);

    internal void Enter() => Interlocked.Increment(ref _inFlightCount);
    internal void Leave() => Interlocked.Decrement(ref _inFlightCount);

    /// <summary>The requests counted so far for a model and status (for tests and the bench).</summary>
    public long RequestCount(string model, int status)
    {
        string label = Label(model), code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (long)_requests.GetAllLabelValues().Where(l => l[0] == label && l[2] == code).Sum(l => _requests.WithLabels(l).Value);
    }

    /// <summary>Writes the exposition text (Prometheus text format 0.0.4).</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancel = default) => _registry.CollectAndExportAsTextAsync(destination, cancel);

    /// <summary>The exposition text.</summary>
    public string Render()
    {
        using var ms = new MemoryStream();
        WriteAsync(ms).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private string Label(string model) => _repository is null || _repository.Find(model) is not null ? model : UnknownModel;

    /// <summary>Sets the per-version gauges and drops the series of versions no longer in the repository.</summary>
    private void RefreshVersions(ModelRepository repository)
    {
        var now = new HashSet<(string, string)>();
        foreach (var s in repository.Index())
        {
            var key = (s.Name, s.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
            now.Add(key);
            _ready.WithLabels(key.Item1, key.Item2).Set(s.State == ModelState.Ready ? 1 : 0);
            int depth = s.Version is { } v && repository.Find(s.Name)?.Versions.GetValueOrDefault(v) is { } mv ? mv.QueueDepth : 0;
            _queueDepth.WithLabels(key.Item1, key.Item2).Set(depth);
        }
        foreach (var gone in _versionSeries.Where(k => !now.Contains(k)))
        {
            _ready.RemoveLabelled(gone.Item1, gone.Item2);
            _queueDepth.RemoveLabelled(gone.Item1, gone.Item2);
        }
        _versionSeries = now;
    }
}
