using System.Buffers;
using System.Text.Json;

namespace OnnxKit.Server;

/// <summary>Writes JSON responses with <see cref="Utf8JsonWriter"/> (no reflection, non-finite floats as strings).</summary>
internal static class Json
{
    public const string ContentType = "application/json";

    public static async Task WriteAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write, List<ReadOnlyMemory<byte>>? binaryTail = null)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer)) { write(w); }
        ctx.Response.StatusCode = status;
        if (binaryTail is not null) // binary-data extension: JSON header, then the raw tensors in output order
        {
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.Headers["Inference-Header-Content-Length"] = buffer.WrittenCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.ContentLength = buffer.WrittenCount + binaryTail.Sum(b => (long)b.Length);
            await ctx.Response.Body.WriteAsync(buffer.WrittenMemory);
            foreach (var b in binaryTail) await ctx.Response.Body.WriteAsync(b);
            return;
        }
        ctx.Response.ContentType = ContentType;
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory);
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
