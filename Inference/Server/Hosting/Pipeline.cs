using System.Security.Cryptography;
using System.Text;

namespace OnnxKit.Server;

/// <summary>Middleware (API key, concurrency limit, error bodies) and the endpoint map.</summary>
internal static class Pipeline
{
    public const string ApiKeyHeader = "X-API-Key";

    public static void Configure(WebApplication app, ServerContext s)
    {
        var slots = new SemaphoreSlim(s.Options.MaxConcurrentRequests);
        app.Use(async (ctx, next) =>
        {
            string path = ctx.Request.Path.Value ?? "";
            if (s.Options.MetricsPort is int metricsPort && ctx.Connection.LocalPort == metricsPort)
            {
                // The scrape port answers /metrics and nothing else, so leaving it without the key exposes no model.
                if (path == "/metrics") await next(ctx);
                else await Json.ErrorAsync(ctx, 404, $"port {metricsPort} serves only GET /metrics; the API is on port {s.Options.Port}");
                return;
            }
            bool probe = path.StartsWith("/v2/health", StringComparison.Ordinal) || path == "/metrics";
            if (s.Options.ApiKey is { } key && !path.StartsWith("/v2/health", StringComparison.Ordinal) && !KeyMatches(ctx, key))
            {
                await Json.ErrorAsync(ctx, 401, $"missing or wrong API key: send it in the {ApiKeyHeader} header (or Authorization: Bearer)");
                return;
            }
            if (probe) { await next(ctx); return; }
            if (!slots.Wait(0))
            {
                ctx.Response.Headers.RetryAfter = "1";
                await Json.ErrorAsync(ctx, 503, $"server busy: {s.Options.MaxConcurrentRequests} requests in flight (the concurrency limit); retry later");
                return;
            }
            s.Metrics.Enter();
            try { await next(ctx); }
            catch (BadHttpRequestException e) { if (!ctx.Response.HasStarted) await Json.ErrorAsync(ctx, e.StatusCode, e.Message); }
            finally { s.Metrics.Leave(); slots.Release(); }
        });
        HealthEndpoints.Map(app, s);
        ModelEndpoints.Map(app, s);
        InferEndpoints.Map(app, s);
        RepositoryControlEndpoints.Map(app, s);
        ExplainEndpoint.Map(app, s);
        app.MapFallback(ctx => Json.ErrorAsync(ctx, 404, $"no endpoint {ctx.Request.Method} {ctx.Request.Path}; see /v2 for the protocol"));
    }

    internal static bool KeyMatches(HttpContext ctx, string key)
    {
        string? given = ctx.Request.Headers.TryGetValue(ApiKeyHeader, out var h) ? h.ToString()
            : ctx.Request.Headers.Authorization.ToString() is { } a && a.StartsWith("Bearer ", StringComparison.Ordinal) ? a[7..] : null;
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
    }
}
