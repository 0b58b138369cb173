using Grpc.Net.Client;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// A gRPC load client sending a prepared ModelInfer request over a channel shared by all closed-loop clients, as a
/// gRPC application shares one (HTTP/2 multiplexes the calls; more connections open past the stream limit).
/// </summary>
internal sealed class GrpcConnection(GrpcChannel channel, ModelInferRequest request) : ILoadConnection
{
    private readonly GRPCInferenceService.GRPCInferenceServiceClient _client = new(channel);

    /// <summary>The shared channel.</summary>
    public static GrpcChannel Channel(Uri address) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });

    public async Task<bool> SendAsync()
    {
        try
        {
            var response = await _client.ModelInferAsync(request);
            return response.Outputs.Count > 0;
        }
        catch (Grpc.Core.RpcException) { return false; }
    }

    public void Dispose() { } // the channel is shared
}
