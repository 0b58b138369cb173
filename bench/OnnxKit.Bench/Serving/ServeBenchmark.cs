using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using OnnxKit.Inference;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// Load benchmark of the inference server on loopback: single-sample requests from 1, 16 and 64 closed-loop
/// clients, dynamic batching on and off, JSON and (for the MLP) the binary-data extension, against the
/// in-process <see cref="Predictor"/> running the same model in batches.
/// </summary>
public sealed class ServeBenchmark : IBenchmark
{
    internal const string ServerModeArgument = "--server-mode";

    public string Name => "serve";
    public string Description => "server throughput and p50/p99 latency at 1/16/64 clients vs the in-process Predictor [--duration S] [--runs N] [--models fashion-mlp,fashion-cnn] [--concurrency 1,16,64] [--modes off,window,greedy] [--client raw|httpclient] [--intra-op-threads N] [--server-cores LIST] [--peer aspnet (with --modes greedy: the server batches) [--grpc-client raw|grpcnet] [--grpc-mode unary|stream|both] [--server-from BENCH_EXECUTABLE]]";

    public int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == ServerModeArgument) return OnnxKit.Server.Server.Run(args[1..]);
        if (args.Length > 0 && args[0] == AspNetPeer.ModeArgument) return AspNetPeer.Run(args[1..]);
        return RunAsync(args).GetAwaiter().GetResult();
    }

    private sealed record Options(double Duration, double WarmUp, int Runs, string[] Models, int[] Concurrency, int IntraOpThreads, string[] Modes, string Client, string? ServerCores = null, string? Peer = null, string GrpcClient = "raw", string? ServerFrom = null, string? GrpcMode = null);

    /// <summary>Batching off; on with a 2 ms window (Triton-style: a batch waits for company); on greedy (window 0: each
    /// run takes whatever queued while the previous one ran, so batches grow with load and never wait idle).</summary>
    private static readonly Dictionary<string, (bool Batching, double WindowMs)> ModeTable = new()
    {
        ["off"] = (false, 0.0), ["window"] = (true, 2.0), ["greedy"] = (true, 0.0),
    };

    private static Options Parse(string[] args)
    {
        var o = new Options(4, 1, 3, ["fashion-mlp", "fashion-cnn"], [1, 16, 64], 0, ["off", "window", "greedy"], "raw");
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--duration" => o with { Duration = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--warmup" => o with { WarmUp = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--runs" => o with { Runs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--models" => o with { Models = Next().Split(',') },
                "--concurrency" => o with { Concurrency = Next().Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray() },
                "--intra-op-threads" => o with { IntraOpThreads = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--modes" => o with { Modes = Next().Split(',').Select(m => ModeTable.ContainsKey(m) ? m : throw new ArgumentException($"unknown mode '{m}'; expected off, window or greedy")).ToArray() },
                "--server-cores" => o with { ServerCores = Next() },
                "--peer" => o with { Peer = Next() is "aspnet" ? "aspnet" : throw new ArgumentException("--peer takes aspnet (a minimal ASP.NET Core endpoint over one shared InferenceSession)") },
                "--grpc-client" => o with { GrpcClient = Next() is var g && g is "raw" or "grpcnet" ? g : throw new ArgumentException("--grpc-client takes raw (one h2c connection per client, frames encoded once) or grpcnet (Grpc.Net.Client, one shared channel)") },
                "--grpc-mode" => o with { GrpcMode = Next() is var gm && gm is "unary" or "stream" or "both" ? gm : throw new ArgumentException("--grpc-mode takes unary (ModelInfer calls), stream (ModelStreamInfer, one stream per client) or both") },
                "--server-from" => o with { ServerFrom = File.Exists(Next()) ? Path.GetFullPath(args[i]) : throw new ArgumentException($"--server-from: no file '{args[i]}' (expected another build's OnnxKit.Bench executable)") },
                "--client" => o with { Client = Next() is var c && c is "raw" or "httpclient" ? c : throw new ArgumentException("--client takes raw (a wrk-like socket client) or httpclient (.NET's HttpClient)") },
                var a => throw new ArgumentException($"unknown option '{a}'; expected --duration, --warmup, --runs, --models, --concurrency, --modes, --client, --intra-op-threads, --server-cores, --peer, --grpc-client, --grpc-mode, --server-from"),
            };
        }
        return o;
    }

    private static async Task<int> RunAsync(string[] args)
    {
        Options o;
        try { o = Parse(args); }
        catch (Exception e) when (e is ArgumentException or FormatException) { Console.Error.WriteLine(e.Message); return 2; }
        string root = RepoRoot();
        // Streaming is driven by the raw client only; with Grpc.Net.Client the default is its unary calls.
        string grpcMode = o.GrpcMode ?? (o.GrpcClient == "raw" ? "both" : "unary");
        if (grpcMode != "unary" && o.GrpcClient != "raw") { Console.Error.WriteLine("--grpc-mode stream and both need --grpc-client raw"); return 2; }
        if (o.Peer is not null) return await PeerComparison.RunAsync(o.Models, o.Concurrency, o.Runs, o.Duration, o.WarmUp, root, batching: o.Modes is ["greedy"], o.GrpcClient, o.ServerFrom, o.IntraOpThreads, grpcMode);
        var images = TestImages(root, 128);
        Console.WriteLine($"# serve benchmark — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {o.Runs} runs × {o.Duration} s per point, medians, load client: {o.Client}, server cores: {o.ServerCores ?? "all"}, ORT threads (server and in-process): {(o.IntraOpThreads > 0 ? o.IntraOpThreads.ToString(CultureInfo.InvariantCulture) : "default")}");
        Console.WriteLine("| model | mode | body | clients | req/s | samples/s | vs in-process | p50 ms | p99 ms | server CPU µs/req | client CPU share | failures |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

        foreach (string model in o.Models)
        {
            string modelPath = Path.Combine(root, "models", model, "1", "model.onnx");
            if (!File.Exists(modelPath)) { Console.Error.WriteLine($"no model at {modelPath}"); return 2; }
            double inProcess = Median(Enumerable.Range(0, o.Runs).Select(_ => InProcessSamplesPerSecond(modelPath, images, 64, o.Duration, o.IntraOpThreads)));
            Console.WriteLine($"| {model} | in-process Predictor, batch 64 | — | — | — | {inProcess:0} | 1.00 | — | — | — | — | — |");

            foreach (var (batching, windowMs) in o.Modes.Select(m => ModeTable[m]))
            {
                string repo = Directory.CreateTempSubdirectory("onnxkit-bench-repo-").FullName;
                try
                {
                    Directory.CreateDirectory(Path.Combine(repo, model, "1"));
                    File.Copy(modelPath, Path.Combine(repo, model, "1", "model.onnx"));
                    var config = new List<string>();
                    if (batching) config.AddRange(["\"max_batch_size\": 64", $"\"batch_window_ms\": {windowMs}"]);
                    if (o.IntraOpThreads > 0) config.Add($"\"intra_op_threads\": {o.IntraOpThreads}");
                    if (config.Count > 0) File.WriteAllText(Path.Combine(repo, model, "config.json"), "{" + string.Join(", ", config) + "}");
                    using var server = await ServerProcess.StartAsync(repo, o.ServerCores);
                    var url = new Uri(server.BaseAddress, $"v2/models/{model}/infer");
                    var bodies = new List<(string Kind, RequestBody Body)> { ("JSON", JsonBody(images.AsSpan(0, 784))) };
                    if (model.Contains("mlp", StringComparison.Ordinal)) bodies.Add(("binary", BinaryBody(images.AsSpan(0, 784))));
                    foreach (var (kind, body) in bodies)
                        foreach (int clients in o.Concurrency)
                        {
                            var runs = new List<(LoadResult R, TimeSpan ServerCpu)>();
                            for (int r = 0; r < o.Runs; r++)
                            {
                                var serverCpu0 = server.Cpu;
                                var result = await LoadAsync(o, url, body, clients);
                                runs.Add((result, server.Cpu - serverCpu0));
                            }
                            var (m, serverCpu) = runs.OrderBy(x => x.R.RequestsPerSecond).ElementAt(runs.Count / 2);
                            double share = m.ClientCpu.TotalSeconds / Math.Max(1e-9, m.ClientCpu.TotalSeconds + serverCpu.TotalSeconds);
                            double samples = m.RequestsPerSecond * body.Samples;
                            Console.WriteLine($"| {model} | batching {(batching ? $"on (64, {windowMs} ms)" : "off")} | {kind} | {clients} | {m.RequestsPerSecond:0} | {samples:0} | {samples / inProcess:0.00} | {m.P50Ms:0.00} | {m.P99Ms:0.00} | {serverCpu.TotalMicroseconds / Math.Max(1, m.Requests):0} | {share:P0} | {runs.Sum(x => x.R.Failures)} |");
                        }
                }
                finally { try { Directory.Delete(repo, true); } catch (IOException) { } }
            }
        }
        return 0;
    }

    // One load point with the chosen client (the HttpClient's connections are opened anew for each point).
    private static async Task<LoadResult> LoadAsync(Options o, Uri url, RequestBody body, int clients)
    {
        var (duration, warmUp) = (TimeSpan.FromSeconds(o.Duration), TimeSpan.FromSeconds(o.WarmUp));
        if (o.Client == "raw")
        {
            byte[] wire = RawHttpConnection.Serialize(url, body);
            return await LoadClient.RunAsync(() => new RawHttpConnection(url, wire), clients, duration, warmUp);
        }
        using var http = HttpClientConnection.NewClient(clients);
        return await LoadClient.RunAsync(() => new HttpClientConnection(http, url, body), clients, duration, warmUp);
    }

    // The baseline gets the server's thread setting, so a run with --intra-op-threads 1 compares like with like.
    private static double InProcessSamplesPerSecond(string modelPath, float[] images, int batch, double seconds, int intraOpThreads)
    {
        using var predictor = Predictor.Load(modelPath, new PredictorOptions { IntraOpThreads = intraOpThreads });
        var input = TensorValue.FromFloats(images[..(batch * 784)], batch, 1, 28, 28);
        for (int i = 0; i < 5; i++) predictor.Predict(input);
        long samples = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds) { predictor.Predict(input); samples += batch; }
        return samples / clock.Elapsed.TotalSeconds;
    }

    private static RequestBody JsonBody(ReadOnlySpan<float> sample)
    {
        var data = string.Join(",", sample.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        string json = $"{{\"inputs\": [{{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 1, 28, 28], \"data\": [{data}]}}]}}";
        return new RequestBody(Encoding.UTF8.GetBytes(json), "application/json", null, 1);
    }

    private static RequestBody BinaryBody(ReadOnlySpan<float> sample)
    {
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            inputs = new[] { new { name = "input", datatype = "FP32", shape = new[] { 1, 1, 28, 28 }, parameters = new { binary_data_size = sample.Length * 4 } } },
            parameters = new { binary_data_output = true },
        }));
        var bytes = new byte[header.Length + sample.Length * 4];
        header.CopyTo(bytes, 0);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(sample).CopyTo(bytes.AsSpan(header.Length));
        return new RequestBody(bytes, "application/octet-stream", header.Length, 1);
    }

    private static float[] TestImages(string root, int count)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(root, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")), CompressionMode.Decompress);
        gz.ReadExactly(new byte[16]);
        var pixels = new byte[count * 784];
        gz.ReadExactly(pixels);
        return pixels.Select(p => p / 255f).ToArray();
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v[v.Length / 2];
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "OnnxKit.sln"))) return d.FullName;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "OnnxKit.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("run from inside the OnnxKit repository (OnnxKit.sln not found above the current folder)");
    }
}
