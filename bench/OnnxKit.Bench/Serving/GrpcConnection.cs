using Grpc.Net.Client;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Bench.Serving;

/// <summary>A gRPC load client: one channel (one HTTP/2 connection) per closed-loop client, sending a prepared ModelInfer request.</summary>
internal sealed class GrpcConnection(Uri address, ModelInferRequest request) : ILoadConnection
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address);
    private GRPCInferenceService.GRPCInferenceServiceClient? _client;

    public async Task<bool> SendAsync()
    {
        _client ??= new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
        try
        {
            var response = await _client.ModelInferAsync(request);
            return response.Outputs.Count > 0;
        }
        catch (Grpc.Core.RpcException) { return false; }
    }

    public void Dispose() => _channel.Dispose();
}
