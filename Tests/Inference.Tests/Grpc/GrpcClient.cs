using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Tests.Inference;

/// <summary>A gRPC client of a <see cref="ServerFixture"/>'s inference service, and request builders.</summary>
internal sealed class GrpcClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public GrpcClient(ServerFixture s, string? apiKey = null)
    {
        var address = s.Host.GrpcAddress ?? throw new InvalidOperationException("the server runs without gRPC");
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = null });
        Service = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
        Headers = apiKey is null ? new Metadata() : new Metadata { { "x-api-key", apiKey } };
    }

    public GRPCInferenceService.GRPCInferenceServiceClient Service { get; }
    public Metadata Headers { get; }

    public ModelInferResponse Infer(ModelInferRequest request) => Service.ModelInfer(request, Headers);

    /// <summary>One FP32 input with typed contents.</summary>
    public static ModelInferRequest Typed(string model, string input, long[] shape, float[] data, string datatype = "FP32")
    {
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input, Datatype = datatype, Contents = new InferTensorContents() };
        tensor.Shape.AddRange(shape);
        tensor.Contents.Fp32Contents.AddRange(data);
        var r = new ModelInferRequest { ModelName = model };
        r.Inputs.Add(tensor);
        return r;
    }

    /// <summary>One input with raw little-endian contents.</summary>
    public static ModelInferRequest Raw(string model, string input, long[] shape, byte[] bytes, string datatype = "FP32")
    {
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input, Datatype = datatype };
        tensor.Shape.AddRange(shape);
        var r = new ModelInferRequest { ModelName = model };
        r.Inputs.Add(tensor);
        r.RawInputContents.Add(ByteString.CopyFrom(bytes));
        return r;
    }

    public static byte[] Bytes(float[] values) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static float[] Floats(ByteString bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();

    /// <summary>Asserts that <paramref name="call"/> fails with <paramref name="code"/> and a message holding every fragment.</summary>
    public static RpcException Fails(Action call, StatusCode code, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<RpcException>(call);
        Assert.AreEqual(code, e.StatusCode, e.Status.Detail);
        foreach (var f in fragments) StringAssert.Contains(e.Status.Detail, f);
        return e;
    }

    public void Dispose() => _channel.Dispose();
}
