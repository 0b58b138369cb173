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

    private ServerHost(WebApplication app, ServerContext context, Uri address)
    {
        _app = app; _context = context; BaseAddress = address;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8000/</c>.</summary>
    public Uri BaseAddress { get; }
    /// <summary>The model repository.</summary>
    public ModelRepository Repository => _context.Repository;
    /// <summary>The metrics.</summary>
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
        });
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
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .First(a => options.MetricsPort is not int mp || new Uri(a).Port != mp);
            return new ServerHost(app, context, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
        }
        catch
        {
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
        await _app.StopAsync();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        _context.Repository.Dispose();
    }
}
