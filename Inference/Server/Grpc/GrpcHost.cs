using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OnnxKit.Server.Grpc;

/// <summary>
/// The Open Inference Protocol over gRPC (<c>inference.GRPCInferenceService</c>) on a port of its own, HTTP/2 without
/// TLS (as Triton's 8001), over the same repository, batchers, API key, limits and metrics as REST. It is a host of its
/// own rather than a second port of the REST host so that REST's middleware (JSON error bodies, its fallback) never sees
/// a gRPC call, which must be answered with a gRPC status instead.
/// </summary>
internal sealed class GrpcHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcHost(WebApplication app, Uri address) { _app = app; Address = address; }

    public Uri Address { get; }

    public static async Task<GrpcHost> StartAsync(ServerContext context, IPAddress address, int port, CancellationToken cancel)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, port, l => l.Protocols = HttpProtocols.Http2);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // gRPC's own message limit below answers ResourceExhausted
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = context.Options.ShutdownTimeout);
        builder.Services.AddSingleton(context);
        builder.Services.AddSingleton<GrpcGate>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, context.Options.MaxRequestBodyBytes);
            o.MaxSendMessageSize = null;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<GrpcGate>();
        });
        var app = builder.Build();
        app.MapGrpcService<InferenceService>();
        await app.StartAsync(cancel);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GrpcHost(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
