using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>
/// Server metrics in Prometheus text format: requests by model, endpoint and status; request latency and batch
/// size histograms by model; queue depth and model state by model version; requests in flight.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] LatencyBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    private readonly ConcurrentDictionary<(string Model, string Endpoint, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(), _batch = new();
    private int _inFlight;

    /// <summary>Counts a finished request and its latency.</summary>
    public void Request(string model, string endpoint, int status, TimeSpan elapsed)
    {
        _requests.AddOrUpdate((model, endpoint, status), 1, (_, n) => n + 1);
        _latency.GetOrAdd(model, _ => new Histogram(LatencyBounds)).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Records a merged batch.</summary>
    public void Batch(string model, int rows) => _batch.GetOrAdd(model, _ => new Histogram(BatchBounds)).Observe(rows);

    /// <summary>The number of requests being handled.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    internal void Enter() => Interlocked.Increment(ref _inFlight);
    internal void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>The requests counted so far for a model and status (for tests and the bench).</summary>
    public long RequestCount(string model, int status) => _requests.Where(kv => kv.Key.Model == model && kv.Key.Status == status).Sum(kv => kv.Value);

    /// <summary>The exposition text.</summary>
    public string Render(ModelRepository repository)
    {
        var sb = new StringBuilder();
        sb.Append("# HELP onnxkit_requests_total Inference server requests by model, endpoint and HTTP status.\n# TYPE onnxkit_requests_total counter\n");
        foreach (var ((model, endpoint, status), n) in _requests.OrderBy(k => k.Key))
            sb.Append(CultureInfo.InvariantCulture, $"onnxkit_requests_total{{model=\"{Esc(model)}\",endpoint=\"{endpoint}\",status=\"{status}\"}} {n}\n");
        sb.Append("# HELP onnxkit_request_duration_seconds Request latency by model.\n# TYPE onnxkit_request_duration_seconds histogram\n");
        foreach (var (model, h) in _latency.OrderBy(k => k.Key)) h.Write(sb, "onnxkit_request_duration_seconds", $"model=\"{Esc(model)}\"");
        sb.Append("# HELP onnxkit_batch_size Rows per merged model run by model.\n# TYPE onnxkit_batch_size histogram\n");
        foreach (var (model, h) in _batch.OrderBy(k => k.Key)) h.Write(sb, "onnxkit_batch_size", $"model=\"{Esc(model)}\"");
        sb.Append("# HELP onnxkit_queue_depth Requests waiting in the dynamic batcher by model version.\n# TYPE onnxkit_queue_depth gauge\n");
        foreach (var m in repository.Models)
            foreach (var v in m.Versions.Values.OrderBy(v => v.Version))
                sb.Append(CultureInfo.InvariantCulture, $"onnxkit_queue_depth{{model=\"{Esc(m.Name)}\",version=\"{v.Version}\"}} {v.QueueDepth}\n");
        sb.Append("# HELP onnxkit_model_ready 1 when the model version serves, 0 when it is loading or unavailable.\n# TYPE onnxkit_model_ready gauge\n");
        foreach (var s in repository.Index())
            sb.Append(CultureInfo.InvariantCulture, $"onnxkit_model_ready{{model=\"{Esc(s.Name)}\",version=\"{s.Version?.ToString(CultureInfo.InvariantCulture) ?? ""}\"}} {(s.State == ModelState.Ready ? 1 : 0)}\n");
        sb.Append("# HELP onnxkit_requests_in_flight Requests being handled.\n# TYPE onnxkit_requests_in_flight gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"onnxkit_requests_in_flight {InFlight}\n");
        return sb.ToString();
    }

    private static string Esc(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
