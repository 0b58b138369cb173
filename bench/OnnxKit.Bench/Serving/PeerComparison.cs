using System.Globalization;
using System.Text;
using Google.Protobuf;
using OnnxKit.Bench.Shared;
using OnnxKit.Inference;
using OnnxKit.Server.Grpc.Protocol;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Optimizers;
using OnnxKit.Zoo;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// <c>bench serve --peer aspnet</c>: the server (JSON over HTTP/1.1, and gRPC with raw tensor contents: unary
/// <c>ModelInfer</c> calls and/or Triton's streaming <c>ModelStreamInfer</c>, one stream per client) against the
/// plain ASP.NET Core endpoint (<see cref="AspNetPeer"/>) on the same model, single-sample requests from closed-loop
/// clients on the same machine. The three are run in turn within each round (so a change in the machine's load hits
/// all of them alike) and the median round is reported, with each server's CPU time per request (and, for OnnxKit,
/// managed bytes allocated per request), which a loaded machine disturbs far less than throughput. Ends with one
/// <c>serve-vs-peer</c> line per model and concurrency.
/// </summary>
internal static class PeerComparison
{
    private const double SettleSeconds = 5;

    private sealed record Point(string Model, int Clients, LoadResult Json, LoadResult? Grpc, LoadResult? Stream, LoadResult Peer);

    // batching: greedy dynamic batching (max_batch_size 64) instead of the server's default (none: each request runs
    // on the thread that read it, as the peer's do).
    // grpcClient: raw (RawGrpcConnection, one h2c connection per client, frames encoded once) or grpcnet (Grpc.Net.Client,
    // one shared channel). serverProgram: another build of the bench to run the OnnxKit server from (A/B of two builds).
    // grpcMode: unary (ModelInfer calls), stream (ModelStreamInfer, raw client only) or both.
    public static async Task<int> RunAsync(string[] models, int[] concurrency, int runs, double duration, double warmUp, string root, bool batching, string grpcClient = "raw", string? serverProgram = null, int intraOpThreads = 0, string grpcMode = "both")
    {
        bool unary = grpcMode is "unary" or "both", stream = grpcMode is "stream" or "both";
        Console.WriteLine($"# serve vs peer (aspnet: minimal API, one shared InferenceSession, JsonDocument, Results.Json); server config: {(batching ? "greedy batching up to 64" : "default (no batching)")}{(intraOpThreads > 0 ? $", intra_op_threads {intraOpThreads}" : "")}; gRPC client: {grpcClient}, gRPC mode: {grpcMode}{(serverProgram is null ? "" : $"; server from {serverProgram}")} — {Environment.ProcessorCount} cores, load {LoadAverage()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {runs} rounds × {duration} s per point (onnxkit-json, onnxkit-grpc, onnxkit-grpc-stream, peer in turn), medians");
        Console.WriteLine("| model | clients | onnxkit JSON samples/s | p99 ms | onnxkit gRPC raw samples/s | p99 ms | onnxkit gRPC stream samples/s | p99 ms | peer JSON samples/s | p99 ms | JSON / peer | gRPC / peer | stream / peer | server CPU µs/req JSON / gRPC / stream / peer | onnxkit KB alloc/req JSON / gRPC / stream | failures |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var points = new List<Point>();
        string dir = Directory.CreateTempSubdirectory("onnxkit-bench-peer-").FullName;
        try
        {
            foreach (string model in models)
            {
                string modelPath = ModelFile(root, model, dir);
                using var predictor = Predictor.Load(modelPath);
                var spec = predictor.Info.Inputs[0];
                long[] shape = spec.Dimensions.Select((d, axis) => d >= 0 ? d : 1L).ToArray();
                var sample = TestImages(root, (int)TensorValue.ShapeCount(shape));

                string repo = Path.Combine(dir, "repo-" + model);
                Directory.CreateDirectory(Path.Combine(repo, model, "1"));
                File.Copy(modelPath, Path.Combine(repo, model, "1", "model.onnx"));
                var config = new List<string>();
                if (batching) config.Add("\"max_batch_size\": 64");
                if (intraOpThreads > 0) config.Add($"\"intra_op_threads\": {intraOpThreads}");
                if (config.Count > 0) File.WriteAllText(Path.Combine(repo, model, "config.json"), "{" + string.Join(", ", config) + "}");
                int grpcPort = ServerProcess.FreePort();
                using var server = await ServerProcess.StartAsync(repo, extra: ["--grpc-port", grpcPort.ToString(CultureInfo.InvariantCulture)], program: serverProgram);
                int peerPort = ServerProcess.FreePort();
                using var peer = await ServerProcess.StartAsync(["serve", AspNetPeer.ModeArgument, modelPath, peerPort.ToString(CultureInfo.InvariantCulture)], peerPort);

                byte[] body = JsonBody(spec.Name, shape, sample);
                var serverUrl = new Uri(server.BaseAddress, $"v2/models/{model}/infer");
                var peerUrl = new Uri(peer.BaseAddress, $"v2/models/{model}/infer");
                var grpcRequest = RawRequest(model, spec.Name, shape, sample);
                var grpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
                var grpcFrames = RawGrpcConnection.Encode(grpcAddress, "/inference.GRPCInferenceService/ModelInfer", grpcRequest);
                var streamFrames = RawGrpcConnection.Encode(grpcAddress, "/inference.GRPCInferenceService/ModelStreamInfer", grpcRequest, streaming: true);
                Func<Task<ServerUsage>> serverUsage = () => server.UsageAsync(metrics: true), peerUsage = () => peer.UsageAsync(metrics: false);
                var (d, w) = (TimeSpan.FromSeconds(duration), TimeSpan.FromSeconds(warmUp));
                // JIT tiering goes on for seconds after a server's first requests; without this its compilations land in
                // the first point's time and CPU (at 1 client they tripled the server's CPU per request).
                var settle = TimeSpan.FromSeconds(SettleSeconds);
                await Json(serverUrl, body, 8, settle, TimeSpan.Zero, serverUsage);
                if (unary) await LoadClient.RunAsync(() => new RawGrpcConnection(grpcAddress, grpcFrames), 8, settle, TimeSpan.Zero);
                if (stream) await LoadClient.RunAsync(() => new RawGrpcConnection(grpcAddress, streamFrames), 8, settle, TimeSpan.Zero);
                await Json(peerUrl, body, 8, settle, TimeSpan.Zero, peerUsage);
                foreach (int clients in concurrency)
                {
                    var rounds = new List<(LoadResult J, LoadResult? G, LoadResult? S, LoadResult P)>();
                    for (int r = 0; r < runs; r++)
                    {
                        var json = await Json(serverUrl, body, clients, d, w, serverUsage);
                        LoadResult? grpc = null, streamed = null;
                        if (unary && grpcClient == "raw") grpc = await LoadClient.RunAsync(() => new RawGrpcConnection(grpcAddress, grpcFrames), clients, d, w, serverUsage);
                        else if (unary)
                            using (var channel = GrpcConnection.Channel(grpcAddress))
                                grpc = await LoadClient.RunAsync(() => new GrpcConnection(channel, grpcRequest), clients, d, w, serverUsage);
                        if (stream) streamed = await LoadClient.RunAsync(() => new RawGrpcConnection(grpcAddress, streamFrames), clients, d, w, serverUsage);
                        var plain = await Json(peerUrl, body, clients, d, w, peerUsage);
                        rounds.Add((json, grpc, streamed, plain));
                    }
                    var p = new Point(model, clients, Median(rounds.Select(x => x.J)), unary ? Median(rounds.Select(x => x.G!)) : null, stream ? Median(rounds.Select(x => x.S!)) : null, Median(rounds.Select(x => x.P)));
                    points.Add(p);
                    long failures = rounds.Sum(x => x.J.Failures + (x.G?.Failures ?? 0) + (x.S?.Failures ?? 0) + x.P.Failures);
                    double peerRate = p.Peer.RequestsPerSecond;
                    string Rate(LoadResult? l) => l is null ? "—" : $"{l.RequestsPerSecond:0}";
                    string P99(LoadResult? l) => l is null ? "—" : $"{l.P99Ms:0.00}";
                    string Ratio(LoadResult? l) => l is null ? "—" : $"{l.RequestsPerSecond / peerRate:0.00}";
                    string Cpu(LoadResult? l) => l is null ? "—" : $"{l.ServerCpuMicros:0}";
                    string Kb(LoadResult? l) => l is null ? "—" : $"{l.ServerAllocatedKb:0.0}";
                    Console.WriteLine($"| {model} | {clients} | {Rate(p.Json)} | {P99(p.Json)} | {Rate(p.Grpc)} | {P99(p.Grpc)} | {Rate(p.Stream)} | {P99(p.Stream)} | {Rate(p.Peer)} | {P99(p.Peer)} | {Ratio(p.Json)} | {Ratio(p.Grpc)} | {Ratio(p.Stream)} | {Cpu(p.Json)} / {Cpu(p.Grpc)} / {Cpu(p.Stream)} / {Cpu(p.Peer)} | {Kb(p.Json)} / {Kb(p.Grpc)} / {Kb(p.Stream)} | {failures} |");
                }
            }
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
        Console.WriteLine();
        foreach (var p in points)
        {
            double peerRate = p.Peer.RequestsPerSecond;
            string grpc = p.Grpc is { } g ? $" onnxkit-grpc {g.RequestsPerSecond:0} samples/s p99 {g.P99Ms:0.00} ms," : "";
            string streamed = p.Stream is { } s ? $" onnxkit-grpc-stream {s.RequestsPerSecond:0} samples/s p99 {s.P99Ms:0.00} ms," : "";
            var ratios = new[] { p.Grpc is { } gr ? $"grpc {gr.RequestsPerSecond / peerRate:0.00}" : null, p.Stream is { } sr ? $"grpc-stream {sr.RequestsPerSecond / peerRate:0.00}" : null }.OfType<string>();
            Console.WriteLine($"serve-vs-peer {p.Model} {p.Clients}: onnxkit-json {p.Json.RequestsPerSecond:0} samples/s p99 {p.Json.P99Ms:0.00} ms,{grpc}{streamed} peer {peerRate:0} samples/s p99 {p.Peer.P99Ms:0.00} ms, ratio {p.Json.RequestsPerSecond / peerRate:0.00} ({string.Join(", ", ratios)})");
        }
        return 0;
    }

    private static Task<LoadResult> Json(Uri url, byte[] body, int clients, TimeSpan duration, TimeSpan warmUp, Func<Task<ServerUsage>> usage)
    {
        byte[] wire = RawHttpConnection.Serialize(url, new RequestBody(body, "application/json", null, 1));
        return LoadClient.RunAsync(() => new RawHttpConnection(url, wire), clients, duration, warmUp, usage);
    }

    private static LoadResult Median(IEnumerable<LoadResult> results)
    {
        var sorted = results.OrderBy(r => r.RequestsPerSecond).ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>A shipped model (models/NAME/1/model.onnx), or a zoo architecture exported untrained (throughput does not depend on the weights).</summary>
    private static string ModelFile(string root, string model, string dir)
    {
        string shipped = Path.Combine(root, "models", model, "1", "model.onnx");
        if (File.Exists(shipped)) return shipped;
        if (!ModelZoo.Names.Contains(model))
            throw new ArgumentException($"unknown model '{model}': expected a folder of models/ or one of {string.Join(", ", ModelZoo.Names)}");
        var data = Datasets.FashionMnist(Env.FashionMnist, download: false).Test;
        string path = Path.Combine(dir, model + ".onnx");
        using var learner = new Learner(ModelZoo.Create(model, data.SampleShape, data.NumClasses), new Adam(), OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true));
        learner.Build(data.SampleShape);
        learner.Export(path);
        return path;
    }

    private static byte[] JsonBody(string input, long[] shape, float[] sample)
    {
        string data = string.Join(",", sample.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        return Encoding.UTF8.GetBytes($"{{\"inputs\": [{{\"name\": \"{input}\", \"datatype\": \"FP32\", \"shape\": [{string.Join(", ", shape)}], \"data\": [{data}]}}]}}");
    }

    private static ModelInferRequest RawRequest(string model, string input, long[] shape, float[] sample)
    {
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input, Datatype = "FP32" };
        tensor.Shape.AddRange(shape);
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(tensor);
        request.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sample.AsSpan())));
        return request;
    }

    private static float[] TestImages(string root, int count)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(root, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")), System.IO.Compression.CompressionMode.Decompress);
        gz.ReadExactly(new byte[16]);
        var pixels = new byte[count];
        gz.ReadExactly(pixels);
        return pixels.Select(p => p / 255f).ToArray();
    }

    private static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }
}
