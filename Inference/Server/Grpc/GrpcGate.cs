using Grpc.Core;
using Grpc.Core.Interceptors;

namespace OnnxKit.Server.Grpc;

/// <summary>
/// What REST's middleware does, for gRPC calls: the API key (metadata <c>x-api-key</c> or <c>authorization: Bearer</c>;
/// the two health calls are open, as REST's health endpoints), the concurrency limit (Unavailable above it), the
/// in-flight gauge, and failures mapped to gRPC statuses.
/// </summary>
internal sealed class GrpcGate(ServerContext s) : Interceptor
{
    private readonly SemaphoreSlim _slots = new(s.Options.MaxConcurrentRequests);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        bool probe = context.Method.EndsWith("/ServerLive", StringComparison.Ordinal) || context.Method.EndsWith("/ServerReady", StringComparison.Ordinal);
        if (!probe && s.Options.ApiKey is { } key && !Pipeline.KeyMatches(context.GetHttpContext(), key))
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"missing or wrong API key: send it in the {Pipeline.ApiKeyHeader.ToLowerInvariant()} metadata (or authorization: Bearer)"));
        if (probe) return await continuation(request, context);
        if (!_slots.Wait(0))
            throw new RpcException(new Status(StatusCode.Unavailable, $"server busy: {s.Options.MaxConcurrentRequests} requests in flight (the concurrency limit); retry later"));
        s.Metrics.Enter();
        try { return await continuation(request, context); }
        catch (Exception e) when (e is not RpcException) { throw GrpcErrors.From(e); }
        finally { s.Metrics.Leave(); _slots.Release(); }
    }
}
