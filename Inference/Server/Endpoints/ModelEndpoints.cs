using System.Globalization;
using System.Text.Json;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>Model metadata, model readiness and the repository index.</summary>
internal static class ModelEndpoints
{
    public static void Map(WebApplication app, ServerContext s)
    {
        app.MapGet("/v2/models/{name}", ctx => Metadata(ctx, s));
        app.MapGet("/v2/models/{name}/versions/{version}", ctx => Metadata(ctx, s));
        app.MapGet("/v2/models/{name}/ready", ctx => Ready(ctx, s));
        app.MapGet("/v2/models/{name}/versions/{version}/ready", ctx => Ready(ctx, s));
        app.MapPost("/v2/repository/index", ctx => Index(ctx, s));
    }

    /// <summary>The model and version named by the route; 404 naming what does not exist.</summary>
    public static (ServedModel Model, long? Version) Resolve(HttpContext ctx, ServerContext s) =>
        Resolve(s, (string)ctx.Request.RouteValues["name"]!, ctx.Request.RouteValues["version"] as string);

    /// <summary>The model <paramref name="name"/> and version <paramref name="vt"/> (null or empty: the policy's choice).</summary>
    public static (ServedModel Model, long? Version) Resolve(ServerContext s, string name, string? vt)
    {
        var model = s.Repository.Find(name)
            ?? throw new ModelNotFoundException(name, null, $"no model '{name}' in the repository; models: {string.Join(", ", s.Repository.Models.Select(m => m.Name))}");
        if (string.IsNullOrEmpty(vt)) return (model, null);
        if (!long.TryParse(vt, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || !model.Versions.ContainsKey(v))
            throw new ModelNotFoundException(name, null, $"model '{name}' has no version '{vt}'; served versions: {string.Join(", ", model.Versions.Keys.Order())}");
        return (model, v);
    }

    private static async Task Metadata(HttpContext ctx, ServerContext s)
    {
        try
        {
            var (model, version) = Resolve(ctx, s);
            using var lease = model.Acquire(version);
            var info = lease.Predictor.Info;
            var labels = model.Labels(lease.Version);
            await Json.WriteAsync(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("name", model.Name);
                w.WriteStartArray("versions");
                foreach (var v in model.Versions.Keys.Order()) w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
                w.WriteEndArray();
                w.WriteString("platform", "onnxruntime_onnx");
                WriteTensors(w, "inputs", info.Inputs);
                WriteTensors(w, "outputs", info.Outputs);
                w.WriteStartObject("parameters");
                w.WriteString("version", lease.Version.Version.ToString(CultureInfo.InvariantCulture));
                w.WriteNumber("opset", info.Opset);
                w.WriteString("producer_name", info.Producer);
                w.WriteString("producer_version", info.ProducerVersion);
                w.WriteNumber("max_batch_size", model.Config.MaxBatchSize);
                if (labels is not null)
                {
                    w.WriteStartArray("labels");
                    foreach (var l in labels) w.WriteStringValue(l);
                    w.WriteEndArray();
                }
                w.WriteStartObject("metadata");
                foreach (var (k, v) in info.CustomMetadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }
        catch (Exception e) { await Errors.WriteAsync(ctx, e); }
    }

    private static void WriteTensors(Utf8JsonWriter w, string key, IReadOnlyList<TensorInfo> tensors)
    {
        w.WriteStartArray(key);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("datatype", t.ProtocolDatatype);
            w.WriteStartArray("shape");
            foreach (var d in t.Dimensions) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static async Task Ready(HttpContext ctx, ServerContext s)
    {
        try
        {
            var (model, version) = Resolve(ctx, s);
            var v = version is { } n ? model.Versions[n] : model.DefaultVersion;
            bool ready = v?.State == ModelState.Ready;
            string reason = v is null ? model.UnavailableReason : v.State == ModelState.Ready ? "" : v.Error;
            await Json.WriteAsync(ctx, ready ? 200 : 503, w =>
            {
                w.WriteStartObject();
                w.WriteString("name", model.Name);
                if (v is not null) w.WriteString("version", v.Version.ToString(CultureInfo.InvariantCulture));
                w.WriteBoolean("ready", ready);
                if (!ready) w.WriteString("error", $"model '{model.Name}' is unavailable: {reason}");
                else if (model.ConfigError.Length > 0) w.WriteString("warning", model.ConfigError);
                w.WriteEndObject();
            });
        }
        catch (Exception e) { await Errors.WriteAsync(ctx, e); }
    }

    private static async Task Index(HttpContext ctx, ServerContext s)
    {
        try
        {
            using var body = await Body.ReadAsync(ctx, s.Options.MaxRequestBodyBytes, ctx.RequestAborted);
            bool onlyReady = false;
            if (body.Length > 0)
            {
                using var doc = JsonDocument.Parse(body.Memory);
                onlyReady = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True;
            }
            var rows = s.Repository.Index().Where(r => !onlyReady || r.State == ModelState.Ready).ToArray();
            await Json.WriteAsync(ctx, 200, w =>
            {
                w.WriteStartArray();
                foreach (var r in rows)
                {
                    w.WriteStartObject();
                    w.WriteString("name", r.Name);
                    if (r.Version is { } v) w.WriteString("version", v.ToString(CultureInfo.InvariantCulture));
                    w.WriteString("state", r.State.ToString().ToUpperInvariant());
                    w.WriteString("reason", r.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        catch (Exception e) { await Errors.WriteAsync(ctx, e); }
    }
}
