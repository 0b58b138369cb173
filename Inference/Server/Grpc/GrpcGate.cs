using Grpc.Core;
using Grpc.Core.Interceptors;

namespace OnnxKit.Server.Grpc;

/// <summary>
/// What REST's middleware does, for gRPC calls: the API key (metadata <c>x-api-key</c> or <c>authorization: Bearer</c>;
/// the two health calls are open, as REST's health endpoints), the concurrency limit (Unavailable above it), the
/// in-flight gauge, and failures mapped to gRPC statuses. A streaming call is checked for the key once, when it opens;
/// each request on it goes through <see cref="AdmitAsync{TState, T}"/> as a unary call does.
/// </summary>
internal sealed class GrpcGate(ServerContext s) : Interceptor
{
    private readonly SemaphoreSlim _slots = new(s.Options.MaxConcurrentRequests);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        bool probe = context.Method.EndsWith("/ServerLive", StringComparison.Ordinal) || context.Method.EndsWith("/ServerReady", StringComparison.Ordinal);
        if (probe) return continuation(request, context);
        Authenticate(context);
        return AdmitAsync(static c => c.continuation(c.request, c.context), (continuation, request, context));
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    /// <summary>Runs one request (<paramref name="run"/> on <paramref name="state"/>, without a closure per request) under the
    /// concurrency limit and the in-flight gauge, its failure mapped to a gRPC status.</summary>
    public async Task<T> AdmitAsync<TState, T>(Func<TState, Task<T>> run, TState state)
    {
        if (!_slots.Wait(0))
            throw new RpcException(new Status(StatusCode.Unavailable, $"server busy: {s.Options.MaxConcurrentRequests} requests in flight (the concurrency limit); retry later"));
        s.Metrics.Enter();
        try { return await run(state); }
        catch (Exception e) when (e is not RpcException) { throw GrpcErrors.From(e); }
        finally { s.Metrics.Leave(); _slots.Release(); }
    }

    private void Authenticate(ServerCallContext context)
    {
        if (s.Options.ApiKey is { } key && !Pipeline.KeyMatches(context.GetHttpContext(), key))
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"missing or wrong API key: send it in the {Pipeline.ApiKeyHeader.ToLowerInvariant()} metadata (or authorization: Bearer)"));
    }
}
