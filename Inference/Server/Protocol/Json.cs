using System.Buffers;
using System.Text.Json;

namespace OnnxKit.Server;

/// <summary>Writes JSON responses with <see cref="Utf8JsonWriter"/> (no reflection, non-finite floats as strings).</summary>
internal static class Json
{
    public const string ContentType = "application/json";

    // One writer per thread, reset onto each response's buffer: `write` runs synchronously, so no other response can
    // use it meanwhile, and a response no longer pays for a writer and a buffer of its own.
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static async Task WriteAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write, List<ReadOnlyMemory<byte>>? binaryTail = null)
    {
        using var buffer = new PooledBytes(1024);
        var w = t_writer ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
        write(w);
        w.Flush();
        ctx.Response.StatusCode = status;
        if (binaryTail is not null) // binary-data extension: JSON header, then the raw tensors in output order
        {
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.Headers["Inference-Header-Content-Length"] = buffer.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.ContentLength = buffer.Length + binaryTail.Sum(b => (long)b.Length);
            await ctx.Response.Body.WriteAsync(buffer.Memory);
            foreach (var b in binaryTail) await ctx.Response.Body.WriteAsync(b);
            return;
        }
        ctx.Response.ContentType = ContentType;
        ctx.Response.ContentLength = buffer.Length;
        await ctx.Response.Body.WriteAsync(buffer.Memory);
    }

    public static Task ErrorAsync(HttpContext ctx, int status, string message) =>
        WriteAsync(ctx, status, w => { w.WriteStartObject(); w.WriteString("error", message); w.WriteEndObject(); });

    public static void Number(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    }

    public static void Number(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(float.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    }
}
