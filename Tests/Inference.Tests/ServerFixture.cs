using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OnnxKit.Server;

namespace OnnxKit.Tests.Inference;

/// <summary>A real server on a free loopback port over a temporary repository, with an HttpClient.</summary>
internal sealed class ServerFixture : IAsyncDisposable
{
    public required TempRepository Repo { get; init; }
    public required ServerHost Host { get; init; }
    public required HttpClient Http { get; init; }

    public static async Task<ServerFixture> StartAsync(TempRepository repo, Action<ServerOptions>? configure = null)
    {
        var o = new ServerOptions { ModelRepository = repo.Root, Port = 0, GrpcPort = 0, Logging = false, RescanInterval = TimeSpan.FromMilliseconds(200), MaxRequestBodyBytes = 64 * 1024 };
        configure?.Invoke(o);
        var host = await ServerHost.StartAsync(o);
        return new ServerFixture { Repo = repo, Host = host, Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) } };
    }

    public async Task<(int Status, JsonElement Body)> GetAsync(string path)
    {
        using var r = await Http.GetAsync(path);
        return ((int)r.StatusCode, Parse(await r.Content.ReadAsStringAsync()));
    }

    public async Task<(int Status, JsonElement Body)> PostAsync(string path, string body, string contentType = "application/json")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var r = await Http.PostAsync(path, content);
        return ((int)r.StatusCode, Parse(await r.Content.ReadAsStringAsync()));
    }

    public static JsonElement Parse(string text)
    {
        try { return JsonDocument.Parse(text).RootElement.Clone(); }
        catch (JsonException) { return JsonDocument.Parse(JsonSerializer.Serialize(new { raw = text })).RootElement.Clone(); }
    }

    public static string Infer(string name, string datatype, long[] shape, string data) =>
        $"{{\"inputs\": [{{\"name\": \"{name}\", \"datatype\": \"{datatype}\", \"shape\": [{string.Join(",", shape)}], \"data\": {data}}}]}}";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        Repo.Dispose();
    }
}
