using System.Buffers;
using System.Globalization;

namespace OnnxKit.Server;

/// <summary>Reads request bodies under the size limit and splits the binary-data extension's JSON header off.</summary>
internal static class Body
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    /// <summary>
    /// The whole body, in a buffer from the shared pool (dispose it when the request is done). A buffer per request,
    /// plus the copy-out of a growing stream, was the largest allocation of a JSON infer request.
    /// </summary>
    public static async Task<PooledBytes> ReadAsync(HttpContext ctx, long limit, CancellationToken cancel)
    {
        // A client still uploading when the server answers 413 and closes sees a reset instead of the answer. So the
        // rest of an oversized body is read and discarded, up to a bounded amount; beyond that the connection is closed.
        long drainCap = Math.Min(Math.Max(limit * 16, 1L << 20), 256L << 20);
        if (ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = drainCap;
        long? declared = ctx.Request.ContentLength;
        if (declared > limit)
        {
            if (declared <= drainCap) await DrainAsync(ctx, cancel);
            else ctx.Response.Headers.Connection = "close";
            throw new ProtocolException(413, $"request body of {declared} bytes is over the limit of {limit} bytes");
        }
        var body = new PooledBytes(declared is long n && n > 0 ? (int)n : 4096);
        try
        {
            // With a declared length the buffer holds it exactly and the body ends there (Kestrel enforces it).
            while (declared is not long expected || body.Length < expected)
            {
                int read = await ctx.Request.Body.ReadAsync(body.FreeSpace(), cancel);
                if (read == 0) break;
                if (body.Length + read > limit)
                {
                    try { await DrainAsync(ctx, cancel); }
                    catch (Microsoft.AspNetCore.Http.BadHttpRequestException) { ctx.Response.Headers.Connection = "close"; }
                    throw new ProtocolException(413, $"request body is over the limit of {limit} bytes");
                }
                body.Advance(read);
            }
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private static async Task DrainAsync(HttpContext ctx, CancellationToken cancel)
    {
        var buf = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try { while (await ctx.Request.Body.ReadAsync(buf, cancel) > 0) { } }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    /// <summary>The JSON part and the binary part (empty without the extension header).</summary>
    public static (ReadOnlyMemory<byte> Json, ReadOnlyMemory<byte> Binary) Split(HttpContext ctx, ReadOnlyMemory<byte> body)
    {
        if (!ctx.Request.Headers.TryGetValue(HeaderLengthHeader, out var h)) return (body, ReadOnlyMemory<byte>.Empty);
        if (!int.TryParse(h.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var len) || len > body.Length)
            throw new ProtocolException(400, $"header {HeaderLengthHeader} must be the JSON part's length in bytes (≤ {body.Length}), got '{h}'");
        return (body[..len], body[len..]);
    }
}
