using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Grpc.Core;
using OnnxKit.Inference;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Server.Grpc;

/// <summary>
/// <c>inference.GRPCInferenceService</c>: health, metadata, inference (unary and Triton's streaming form) and the
/// repository extension, answering what the REST endpoints answer (same repository, batcher, request timeout and metrics;
/// endpoint labels <c>grpc_infer</c> and <c>grpc_stream_infer</c>).
/// </summary>
internal sealed class InferenceService(ServerContext s, GrpcGate gate, IHostApplicationLifetime lifetime) : GRPCInferenceService.GRPCInferenceServiceBase
{
    private static readonly string[] Extensions = ["model_repository", "binary_tensor_data", "classification", "metrics"];

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = s.Ready });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = "onnxkit", Version = HealthEndpoints.Version, Extensions = { Extensions } });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        var (model, version) = Resolve(request.Name, request.Version);
        var v = version is { } n ? model.Versions[n] : model.DefaultVersion;
        return Task.FromResult(new ModelReadyResponse { Ready = v?.State == ModelState.Ready });
    }

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var (model, version) = Resolve(request.Name, request.Version);
        using var lease = model.Acquire(version);
        var info = lease.Predictor.Info;
        var response = new ModelMetadataResponse { Name = model.Name, Platform = "onnxruntime_onnx" };
        response.Versions.AddRange(model.Versions.Keys.Order().Select(v => v.ToString(CultureInfo.InvariantCulture)));
        response.Inputs.AddRange(info.Inputs.Select(Tensor));
        response.Outputs.AddRange(info.Outputs.Select(Tensor));
        return Task.FromResult(response);

        static ModelMetadataResponse.Types.TensorMetadata Tensor(TensorInfo t)
        {
            var m = new ModelMetadataResponse.Types.TensorMetadata { Name = t.Name, Datatype = t.ProtocolDatatype };
            m.Shape.AddRange(t.Dimensions);
            return m;
        }
    }

    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context) =>
        InferAsync(request, "grpc_infer", context.CancellationToken);

    /// <summary>
    /// Triton's streaming inference: every request on the stream goes through what a unary <see cref="ModelInfer"/> call
    /// does (concurrency limit, timeout, batcher, metrics under the endpoint label <c>grpc_stream_infer</c>) and is
    /// answered by one message carrying its <c>id</c>. As in Triton, the requests of one stream run side by side as they
    /// arrive (up to <see cref="StreamRequestsInFlight"/> at once, so the batcher can merge them) and are answered in the
    /// order they arrived; one writer writes the answers, never two at once. A failed request is answered with its
    /// <c>error_message</c> (the unary call's status message) and the stream goes on; the API key is checked once, when
    /// the stream opens. When the server stops, each open stream stops reading and ends (status OK) once the requests
    /// it has taken are answered, instead of holding the shutdown until its timeout.
    /// </summary>
    public override async Task ModelStreamInfer(IAsyncStreamReader<ModelInferRequest> requestStream, IServerStreamWriter<ModelStreamInferResponse> responseStream, ServerCallContext context)
    {
        var call = context.CancellationToken;
        var stopping = lifetime.ApplicationStopping;
        // A failed writer (the client gone) stops the reader too, so that it never waits on a full queue.
        using var pipeline = CancellationTokenSource.CreateLinkedTokenSource(call);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(pipeline.Token, stopping);
        var answers = Channel.CreateBounded<Task<ModelStreamInferResponse>>(new BoundedChannelOptions(StreamRequestsInFlight) { SingleReader = true, SingleWriter = true });
        var writer = WriteInOrderAsync(answers.Reader, responseStream, pipeline);
        try
        {
            while (true)
            {
                try
                {
                    if (!await requestStream.MoveNext(reading.Token)) break;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested && !pipeline.IsCancellationRequested)
                {
                    break;
                }
                await answers.Writer.WriteAsync(AnswerAsync(requestStream.Current, call), pipeline.Token);
            }
        }
        finally { answers.Writer.TryComplete(); }
        await writer;
    }

    /// <summary>The most requests of one stream run at once; the stream reads no further until the oldest is answered.</summary>
    public const int StreamRequestsInFlight = 64;

    // One request of a stream: its answer, or its error in error_message.
    private async Task<ModelStreamInferResponse> AnswerAsync(ModelInferRequest request, CancellationToken call)
    {
        var answer = new ModelStreamInferResponse();
        try
        {
            answer.InferResponse = await gate.AdmitAsync(static r => r.Self.InferAsync(r.request, "grpc_stream_infer", r.call), (Self: this, request, call));
        }
        catch (RpcException e) when (!call.IsCancellationRequested)
        {
            answer.ErrorMessage = e.Status.Detail;
            answer.InferResponse = new ModelInferResponse { ModelName = request.ModelName, ModelVersion = request.ModelVersion, Id = request.Id };
        }
        return answer;
    }

    private static async Task WriteInOrderAsync(ChannelReader<Task<ModelStreamInferResponse>> answers, IServerStreamWriter<ModelStreamInferResponse> stream, CancellationTokenSource pipeline)
    {
        try
        {
            await foreach (var answer in answers.ReadAllAsync(pipeline.Token))
                await stream.WriteAsync(await answer, pipeline.Token);
        }
        catch
        {
            pipeline.Cancel();
            throw;
        }
    }

    // One inference request, unary or from a stream; failures leave as RpcException with the status REST's code maps to.
    private async Task<ModelInferResponse> InferAsync(ModelInferRequest request, string endpoint, CancellationToken call)
    {
        var sw = Stopwatch.StartNew();
        var code = StatusCode.OK;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(call);
        deadline.CancelAfter(s.Options.RequestTimeout);
        PredictorLease? lease = null;
        Task<Prediction>? pending = null;
        try
        {
            var (model, version) = Resolve(request.ModelName, request.ModelVersion);
            lease = model.Acquire(version);
            var info = lease.Predictor.Info;
            var inputs = GrpcTensors.Inputs(request, model.Name, info, model.Config.AllowNan);
            var outputs = GrpcTensors.Outputs(request, model.Name, info);
            pending = lease.InferAsync(inputs, deadline.Token);
            var prediction = await pending.WaitAsync(deadline.Token);
            return GrpcTensors.Response(model.Name, lease.Version.Version, request.Id, outputs, prediction);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !call.IsCancellationRequested)
        {
            code = StatusCode.DeadlineExceeded;
            throw new RpcException(new Status(code, $"model '{request.ModelName}': the request took longer than the {s.Options.RequestTimeout.TotalMilliseconds:0} ms timeout"));
        }
        catch (Exception e) when (e is not RpcException)
        {
            var rpc = GrpcErrors.From(e);
            code = rpc.StatusCode;
            throw rpc;
        }
        finally
        {
            if (lease is not null)
            {
                // A request that timed out keeps its lease until its queued run is done, so a reload never frees a running model.
                if (pending is { IsCompleted: false } p) _ = p.ContinueWith(_ => lease.Dispose(), TaskScheduler.Default);
                else lease.Dispose();
            }
            s.Metrics.Request(request.ModelName, endpoint, GrpcErrors.ToHttp(code), sw.Elapsed);
        }
    }

    public override Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context)
    {
        var response = new RepositoryIndexResponse();
        foreach (var r in s.Repository.Index().Where(r => !request.Ready || r.State == ModelState.Ready))
            response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex
            {
                Name = r.Name,
                Version = r.Version?.ToString(CultureInfo.InvariantCulture) ?? "",
                State = r.State.ToString().ToUpperInvariant(),
                Reason = r.Reason,
            });
        return Task.FromResult(response);
    }

    public override Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context)
    {
        RepositoryControlEndpoints.Apply(s, request.ModelName, load: true);
        return Task.FromResult(new RepositoryModelLoadResponse());
    }

    public override Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context)
    {
        RepositoryControlEndpoints.Apply(s, request.ModelName, load: false);
        return Task.FromResult(new RepositoryModelUnloadResponse());
    }

    private (ServedModel Model, long? Version) Resolve(string name, string version) =>
        name.Length == 0 ? throw new ProtocolException(400, "the request names no model (model_name / name is empty)") : ModelEndpoints.Resolve(s, name, version);
}
