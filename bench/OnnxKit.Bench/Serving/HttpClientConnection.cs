using System.Net;
using System.Net.Http.Headers;

namespace OnnxKit.Bench.Serving;

/// <summary>.NET's <see cref="HttpClient"/> as the load client (what a .NET caller of the server would use).</summary>
internal sealed class HttpClientConnection(HttpClient http, Uri url, RequestBody body) : ILoadConnection
{
    /// <summary>A client whose connection pool holds one keep-alive connection per concurrent caller.</summary>
    public static HttpClient NewClient(int concurrency) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
        { Timeout = TimeSpan.FromSeconds(60) };

    public async Task<bool> SendAsync()
    {
        using var content = new ByteArrayContent(body.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(body.ContentType);
        if (body.BinaryHeaderLength is int h) content.Headers.Add("Inference-Header-Content-Length", h.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await http.PostAsync(url, content);
        _ = await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == HttpStatusCode.OK;
    }

    public void Dispose() { } // the shared client owns the connections
}
