using System.Globalization;
using System.Net;

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
    /// <summary>Log requests and lifecycle to the console.</summary>
    public bool Logging { get; set; } = true;
    /// <summary>Computes attributions for the explain endpoint (null: the endpoint answers 404); given by the host, not by arguments.</summary>
    public IAttributionProvider? Attributions { get; set; }

    /// <summary>Usage text.</summary>
    public const string Usage =
        "usage: serve [MODEL_DIR] [--port N] [--host ADDR] [--api-key KEY] [--max-body-bytes N] [--max-concurrency N] " +
        "[--timeout-ms N] [--shutdown-timeout-ms N] [--rescan-ms N] [--quiet]\n" +
        "  MODEL_DIR defaults to ./models (layout: <name>/<version>/model.onnx, optional <name>/config.json);\n" +
        "  binds 127.0.0.1:8000 by default; the API key can also come from ONNXKIT_API_KEY.";

    /// <summary>Parses arguments; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static ServerOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ServerOptions { ApiKey = Environment.GetEnvironmentVariable("ONNXKIT_API_KEY") is { Length: > 0 } k ? k : null };
        bool dirSeen = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"option {a} needs a value");
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
                case "--quiet": o.Logging = false; break;
                default:
                    if (a.StartsWith('-') || dirSeen) throw new ArgumentException($"unknown argument '{a}'\n{Usage}");
                    o.ModelRepository = a; dirSeen = true; break;
            }
        }
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
