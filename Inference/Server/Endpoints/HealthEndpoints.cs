using System.Reflection;

namespace OnnxKit.Server;

/// <summary><c>GET /v2/health/live</c>, <c>/v2/health/ready</c>, <c>GET /v2</c> (server metadata) and <c>GET /metrics</c>.</summary>
internal static class HealthEndpoints
{
    public static string Version => typeof(HealthEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    public static void Map(WebApplication app, ServerContext s)
    {
        app.MapGet("/v2/health/live", ctx => Json.WriteAsync(ctx, 200, w => { w.WriteStartObject(); w.WriteBoolean("live", true); w.WriteEndObject(); }));
        app.MapGet("/v2/health/ready", ctx => Json.WriteAsync(ctx, s.Ready ? 200 : 503, w => { w.WriteStartObject(); w.WriteBoolean("ready", s.Ready); w.WriteEndObject(); }));
        app.MapGet("/v2", ctx => Json.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", "onnxkit");
            w.WriteString("version", Version);
            w.WriteStartArray("extensions");
            foreach (var e in new[] { "model_repository", "binary_tensor_data", "metrics" }) w.WriteStringValue(e);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        app.MapGet("/metrics", async ctx =>
        {
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await s.Metrics.WriteAsync(ctx.Response.Body, ctx.RequestAborted);
        });
    }
}
