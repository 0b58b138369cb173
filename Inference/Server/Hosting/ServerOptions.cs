using System.Globalization;
using System.Net;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>Settings of the inference server; <see cref="Parse"/> reads them from command-line arguments.</summary>
public sealed class ServerOptions
{
    /// <summary>The model repository folder.</summary>
    public string ModelRepository { get; set; } = "models";
    /// <summary>Address to bind; loopback by default (use 0.0.0.0 in a container).</summary>
    public string Host { get; set; } = "127.0.0.1";
    /// <summary>Port; 0 picks a free one.</summary>
    public int Port { get; set; } = 8000;
    /// <summary>When set, every endpoint except health needs header <c>X-API-Key</c> (or <c>Authorization: Bearer</c>) equal to it.</summary>
    public string? ApiKey { get; set; }
    /// <summary>Largest request body accepted (413 above it).</summary>
    public long MaxRequestBodyBytes { get; set; } = 64L << 20;
    /// <summary>Most requests handled at once (503 above it).</summary>
    public int MaxConcurrentRequests { get; set; } = 512;
    /// <summary>Longest an inference request may take (504 after it).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long shutdown waits for in-flight requests.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Periodic rescan of the repository.</summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Port of the Open Inference Protocol's gRPC service (HTTP/2 without TLS); 0 picks a free one, null: no gRPC.</summary>
    public int? GrpcPort { get; set; } = 8001;
    /// <summary>Whether every model is loaded (none) or only those asked for (explicit), as Triton's --model-control-mode.</summary>
    public ModelControlMode ModelControl { get; set; } = ModelControlMode.None;
    /// <summary>With explicit model control, the models loaded at start (<c>--load-model NAME</c>, repeatable).</summary>
    public List<string> StartupModels { get; } = [];
    /// <summary>
    /// A second port serving only <c>GET /metrics</c>, without the API key, so Prometheus can scrape a server whose API
    /// needs one (keep that port inside the cluster). Null: metrics only on the API port, behind the key when set.
    /// </summary>
    public int? MetricsPort { get; set; }
    /// <summary>
    /// Longest a client may take to send a request's headers; the connection is closed after it, so connections that
    /// never finish their headers (slowloris) cannot hold the server's sockets.
    /// </summary>
    public TimeSpan HeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How long an idle keep-alive connection stays open.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Log requests and lifecycle to the console.</summary>
    public bool Logging { get; set; } = true;
    /// <summary>Computes attributions for the explain endpoint (null: the endpoint answers 404); given by the host, not by arguments.</summary>
    public IAttributionProvider? Attributions { get; set; }

    /// <summary>Every option <see cref="Parse"/> accepts: name, value placeholder (null for a switch) and description, for help screens.</summary>
    public static IReadOnlyList<(string Name, string? Value, string Description)> Options { get; } =
    [
        ("--port", "N", "port of the API (default 8000; 0 picks a free one)"),
        ("--host", "ADDR", "address to bind: an IP, localhost, or * / 0.0.0.0 for all interfaces (default 127.0.0.1)"),
        ("--api-key", "KEY", "require this key (X-API-Key or Authorization: Bearer) on everything but health probes; also $ONNXKIT_API_KEY"),
        ("--max-body-bytes", "N", "largest request body (413 above it; default 64 MiB)"),
        ("--max-concurrency", "N", "most requests handled at once (503 above it; default 512)"),
        ("--timeout-ms", "N", "longest an inference request may take (504 after it; default 30000)"),
        ("--shutdown-timeout-ms", "N", "how long shutdown waits for in-flight requests (default 10000)"),
        ("--rescan-ms", "N", "periodic rescan of the repository (0: only file notifications; default 5000)"),
        ("--metrics-port", "N", "serve GET /metrics alone on this port, without the API key (for Prometheus)"),
        ("--headers-timeout-ms", "N", "close connections that take longer to send their headers (default 10000)"),
        ("--keep-alive-timeout-ms", "N", "close idle keep-alive connections after this long (default 60000)"),
        ("--grpc-port", "N|none", "port of the gRPC service (KServe v2 GRPCInferenceService; default 8001, none: no gRPC)"),
        ("--model-control", "none|explicit", "none: every model in the repository is served; explicit: only those loaded (--load-model, or the load endpoints)"),
        ("--load-model", "NAME", "with --model-control explicit, a model loaded at start (repeatable)"),
        ("--quiet", null, "no request or lifecycle log"),
    ];

    /// <summary>Usage text.</summary>
    public const string Usage =
        "usage: serve [MODEL_DIR] [--port N] [--host ADDR] [--api-key KEY] [--max-body-bytes N] [--max-concurrency N] " +
        "[--timeout-ms N] [--shutdown-timeout-ms N] [--rescan-ms N] [--grpc-port N|none] [--model-control none|explicit] [--load-model NAME]... " +
        "[--metrics-port N] [--headers-timeout-ms N] [--keep-alive-timeout-ms N] [--quiet]\n" +
        "  MODEL_DIR defaults to ./models (layout: <name>/<version>/model.onnx, optional <name>/config.json);\n" +
        "  binds 127.0.0.1:8000 (REST) and 8001 (gRPC) by default; the API key can also come from ONNXKIT_API_KEY.";

    /// <summary>Parses arguments; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static ServerOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ServerOptions { ApiKey = Environment.GetEnvironmentVariable("ONNXKIT_API_KEY") is { Length: > 0 } k ? k : null };
        bool dirSeen = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"option {a} needs a value");
            int? SkipNone() { i++; return null; }
            long Number(long min)
            {
                string v = Value();
                return long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n
                    : throw new ArgumentException($"option {a} needs an integer ≥ {min}, got '{v}'");
            }
            switch (a)
            {
                case "--port": o.Port = (int)Math.Min(Number(0), 65536) is var p && p <= 65535 ? p : throw new ArgumentException($"option --port must be ≤ 65535"); break;
                case "--host": o.Host = Value(); _ = ParseAddress(o.Host); break;
                case "--api-key": o.ApiKey = Value(); break;
                case "--max-body-bytes": o.MaxRequestBodyBytes = Number(1); break;
                case "--max-concurrency": o.MaxConcurrentRequests = (int)Number(1); break;
                case "--timeout-ms": o.RequestTimeout = TimeSpan.FromMilliseconds(Number(1)); break;
                case "--shutdown-timeout-ms": o.ShutdownTimeout = TimeSpan.FromMilliseconds(Number(0)); break;
                case "--rescan-ms": o.RescanInterval = TimeSpan.FromMilliseconds(Number(0)); break;
                case "--grpc-port": o.GrpcPort = args.Count > i + 1 && args[i + 1] == "none" ? SkipNone() : (int)Math.Min(Number(0), 65536) is var gp && gp <= 65535 ? gp : throw new ArgumentException("option --grpc-port must be ≤ 65535"); break;
                case "--model-control": o.ModelControl = Value() switch
                {
                    "none" => ModelControlMode.None,
                    "explicit" => ModelControlMode.Explicit,
                    var m => throw new ArgumentException($"option --model-control takes none or explicit, got '{m}'"),
                }; break;
                case "--load-model": o.StartupModels.Add(Value()); break;
                case "--metrics-port": o.MetricsPort = (int)Number(1) is var mp && mp <= 65535 ? mp : throw new ArgumentException("option --metrics-port must be ≤ 65535"); break;
                case "--headers-timeout-ms": o.HeadersTimeout = TimeSpan.FromMilliseconds(Number(1)); break;
                case "--keep-alive-timeout-ms": o.KeepAliveTimeout = TimeSpan.FromMilliseconds(Number(1)); break;
                case "--quiet": o.Logging = false; break;
                default:
                    if (a.StartsWith('-') || dirSeen) throw new ArgumentException($"unknown argument '{a}'\n{Usage}");
                    o.ModelRepository = a; dirSeen = true; break;
            }
        }
        if (o.StartupModels.Count > 0 && o.ModelControl != ModelControlMode.Explicit)
            throw new ArgumentException("option --load-model needs --model-control explicit (with none, every model is loaded)");
        if (o.MetricsPort == o.Port) throw new ArgumentException($"option --metrics-port must differ from --port ({o.Port})");
        if (o.MetricsPort is not null && o.MetricsPort == o.GrpcPort) throw new ArgumentException($"option --metrics-port must differ from --grpc-port ({o.GrpcPort})");
        return o;
    }

    /// <summary>The address to bind: an IP, <c>localhost</c>, or <c>*</c>/<c>0.0.0.0</c> for all interfaces.</summary>
    public static IPAddress ParseAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" => IPAddress.Any,
        _ => IPAddress.TryParse(host, out var ip) ? ip : throw new ArgumentException($"--host must be an IP address, 'localhost' or '*', got '{host}'"),
    };
}
