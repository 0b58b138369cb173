using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>
/// A running inference server: Kestrel with the Open Inference Protocol endpoints over a <see cref="ModelRepository"/>.
/// Shutdown stops accepting connections, lets in-flight requests finish (up to
/// <see cref="ServerOptions.ShutdownTimeout"/>), then unloads the models.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerContext _context;
    private readonly Grpc.GrpcHost? _grpc;

    private ServerHost(WebApplication app, ServerContext context, Uri address, Grpc.GrpcHost? grpc)
    {
        _app = app; _context = context; BaseAddress = address; _grpc = grpc;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8000/</c>.</summary>
    public Uri BaseAddress { get; }
    /// <summary>Where the gRPC service listens (HTTP/2, no TLS), e.g. <c>http://127.0.0.1:8001/</c>; null without gRPC.</summary>
    public Uri? GrpcAddress => _grpc?.Address;
    /// <summary>The model repository.</summary>
    public ModelRepository Repository => _context.Repository;
    /// <summary>Request counts, latencies and queue depths per model, as served on the metrics endpoint.</summary>
    public ServerMetrics Metrics => _context.Metrics;

    /// <summary>Loads the repository and starts listening.</summary>
    public static async Task<ServerHost> StartAsync(ServerOptions options, CancellationToken cancel = default)
    {
        var address = ServerOptions.ParseAddress(options.Host);
        var metrics = new ServerMetrics();
        var repository = new ModelRepository(options.ModelRepository, new ModelRepositoryOptions
        {
            RescanInterval = options.RescanInterval,
            OnBatch = (model, _, rows) => metrics.Batch(model, rows),
            ModelControl = options.ModelControl,
            StartupModels = options.StartupModels,
            OnConfigError = options.Logging ? (model, reason) => Console.Error.WriteLine($"model '{model}': {reason}") : null,
        });
        Grpc.GrpcHost? grpc = null;
        try
        {
            metrics.Attach(repository);
            repository.Start();
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            builder.Logging.ClearProviders();
            if (options.Logging) builder.Logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft", LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(address, options.Port);
                if (options.MetricsPort is int metricsPort) k.Listen(address, metricsPort);
                k.AddServerHeader = false;
                k.Limits.RequestHeadersTimeout = options.HeadersTimeout;
                k.Limits.KeepAliveTimeout = options.KeepAliveTimeout;
                // One more byte than the limit so the body reader reports it with a clear message first.
                k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes + 1;
            });
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
            var app = builder.Build();
            var context = new ServerContext(options, repository, metrics);
            app.Lifetime.ApplicationStopping.Register(() => context.Stopping = true);
            Pipeline.Configure(app, context);
            await app.StartAsync(cancel);
            if (options.GrpcPort is { } grpcPort) grpc = await Grpc.GrpcHost.StartAsync(context, address, grpcPort, cancel);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .First(a => options.MetricsPort is not int mp || new Uri(a).Port != mp);
            return new ServerHost(app, context, new Uri(bound.EndsWith('/') ? bound : bound + "/"), grpc);
        }
        catch
        {
            if (grpc is not null) await grpc.DisposeAsync();
            repository.Dispose();
            throw;
        }
    }

    /// <summary>Completes when the server has been asked to stop (Ctrl+C, SIGTERM, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel = default) => _app.WaitForShutdownAsync(cancel);

    /// <summary>Stops gracefully: not ready, no new connections, in-flight requests finish.</summary>
    public async Task StopAsync()
    {
        _context.Stopping = true;
        await Task.WhenAll(_app.StopAsync(), _grpc?.StopAsync() ?? Task.CompletedTask);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        if (_grpc is not null) await _grpc.DisposeAsync();
        _context.Repository.Dispose();
    }
}
