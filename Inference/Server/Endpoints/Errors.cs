using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>Maps failures to HTTP status codes and JSON <c>{"error": "..."}</c> bodies.</summary>
internal static class Errors
{
    public static (int Status, string Message) Classify(Exception e) => e switch
    {
        ProtocolException p => (p.Status, p.Message),
        ModelNotFoundException => (404, e.Message),
        ModelUnavailableException => (503, e.Message),
        ArgumentException => (400, e.Message),
        JsonException => (400, $"malformed JSON: {e.Message}"),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        _ => (500, $"inference failed: {e.Message}"),
    };

    public static async Task WriteAsync(HttpContext ctx, Exception e)
    {
        var (status, message) = Classify(e);
        if (ctx.Response.HasStarted) return;
        await Json.ErrorAsync(ctx, status, message);
    }
}
