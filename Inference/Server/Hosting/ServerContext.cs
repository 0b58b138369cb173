using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>What every endpoint needs: the options, the repository, the metrics, and whether shutdown has begun.</summary>
internal sealed class ServerContext(ServerOptions options, ModelRepository repository, ServerMetrics metrics)
{
    public ServerOptions Options { get; } = options;
    public ModelRepository Repository { get; } = repository;
    public ServerMetrics Metrics { get; } = metrics;
    public volatile bool Stopping;
    public bool Ready => Repository.IsReady && !Stopping;
}
