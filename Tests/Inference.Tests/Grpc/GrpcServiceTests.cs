using System.IO.Compression;
using System.Text.Json;
using Grpc.Core;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Server.Grpc.Protocol;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Inference;

/// <summary>The Open Inference Protocol over gRPC against one real server: health, metadata, the index, and inference
/// with typed and raw contents, checked against hand-computed outputs and the in-process Predictor.</summary>
[TestClass]
public sealed class GrpcServiceTests
{
    private static ServerFixture S = null!;
    private static GrpcClient G = null!;
    private static readonly float[] X = [1, 1, 1, -1, 0, 2];

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        repo.WriteConfig("gemm", "{\"max_batch_size\": 8}");
        repo.AddVersion("mixed", 1, TestModels.Mixed());
        repo.AddVersion("broken", 1, TestModels.Corrupt);
        S = await ServerFixture.StartAsync(repo);
        G = new GrpcClient(S);
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        G.Dispose();
        await S.DisposeAsync();
    }

    [TestMethod]
    public void HealthServerAndModelMetadataAndReadiness()
    {
        Assert.IsTrue(G.Service.ServerLive(new ServerLiveRequest()).Live);
        Assert.IsTrue(G.Service.ServerReady(new ServerReadyRequest()).Ready);
        var server = G.Service.ServerMetadata(new ServerMetadataRequest());
        Assert.AreEqual("onnxkit", server.Name);
        CollectionAssert.Contains(server.Extensions.ToArray(), "model_repository");

        var meta = G.Service.ModelMetadata(new ModelMetadataRequest { Name = "gemm" });
        Assert.AreEqual("gemm", meta.Name);
        CollectionAssert.AreEqual(new[] { "1" }, meta.Versions.ToArray());
        Assert.AreEqual("onnxruntime_onnx", meta.Platform);
        Assert.AreEqual("x", meta.Inputs[0].Name);
        Assert.AreEqual("FP32", meta.Inputs[0].Datatype);
        CollectionAssert.AreEqual(new long[] { -1, 3 }, meta.Inputs[0].Shape.ToArray());
        Assert.AreEqual("y", meta.Outputs[0].Name);

        Assert.IsTrue(G.Service.ModelReady(new ModelReadyRequest { Name = "gemm" }).Ready);
        Assert.IsTrue(G.Service.ModelReady(new ModelReadyRequest { Name = "gemm", Version = "1" }).Ready);
        Assert.IsFalse(G.Service.ModelReady(new ModelReadyRequest { Name = "broken" }).Ready);
        GrpcClient.Fails(() => G.Service.ModelReady(new ModelReadyRequest { Name = "nope" }), StatusCode.NotFound, "no model 'nope'");
    }

    [TestMethod]
    public void RepositoryIndexListsStatesAndFiltersReady()
    {
        var all = G.Service.RepositoryIndex(new RepositoryIndexRequest()).Models.ToDictionary(m => m.Name);
        Assert.AreEqual("READY", all["gemm"].State);
        Assert.AreEqual("1", all["gemm"].Version);
        Assert.AreEqual("UNAVAILABLE", all["broken"].State);
        StringAssert.Contains(all["broken"].Reason, "model.onnx");
        var ready = G.Service.RepositoryIndex(new RepositoryIndexRequest { Ready = true }).Models.Select(m => m.Name).ToArray();
        CollectionAssert.AreEquivalent(new[] { "gemm", "mixed" }, ready);
    }

    [TestMethod]
    public void TypedAndRawContentsGiveTheHandComputedOutputs()
    {
        var expected = TestModels.Expected(X); // [6.5, -0.5, 5.5, 2.5]
        var typedRequest = GrpcClient.Typed("gemm", "x", [2, 3], X);
        typedRequest.Id = "req-9";
        var typed = G.Infer(typedRequest);
        Assert.AreEqual("gemm", typed.ModelName);
        Assert.AreEqual("1", typed.ModelVersion);
        Assert.AreEqual("req-9", typed.Id);
        Assert.AreEqual("y", typed.Outputs[0].Name);
        Assert.AreEqual("FP32", typed.Outputs[0].Datatype);
        CollectionAssert.AreEqual(new long[] { 2, 2 }, typed.Outputs[0].Shape.ToArray());
        Assert.AreEqual(0, typed.RawOutputContents.Count, "typed in, typed out");
        CollectionAssert.AreEqual(expected, typed.Outputs[0].Contents.Fp32Contents.ToArray());

        var raw = G.Infer(GrpcClient.Raw("gemm", "x", [2, 3], GrpcClient.Bytes(X)));
        Assert.AreEqual(1, raw.RawOutputContents.Count, "raw in, raw out");
        Assert.IsNull(raw.Outputs[0].Contents);
        CollectionAssert.AreEqual(expected, GrpcClient.Floats(raw.RawOutputContents[0]));

        // A requested output's binary_data parameter overrides the default.
        var asRaw = GrpcClient.Typed("gemm", "x", [2, 3], X);
        var wanted = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "y" };
        wanted.Parameters["binary_data"] = new InferParameter { BoolParam = true };
        asRaw.Outputs.Add(wanted);
        CollectionAssert.AreEqual(expected, GrpcClient.Floats(G.Infer(asRaw).RawOutputContents[0]));
    }

    [TestMethod]
    public void EveryDatatypeTypedAndRawWithOutputSelection()
    {
        var typed = new ModelInferRequest { ModelName = "mixed" };
        ModelInferRequest.Types.InferInputTensor Input(string name, string datatype, long[] shape, Action<InferTensorContents> fill)
        {
            var t = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype, Contents = new InferTensorContents() };
            t.Shape.AddRange(shape);
            fill(t.Contents);
            return t;
        }
        typed.Inputs.Add(Input("a", "INT64", [2, 2], c => c.Int64Contents.AddRange([1, -2, 3, 40])));
        typed.Inputs.Add(Input("flag", "BOOL", [2, 2], c => c.BoolContents.AddRange([true, false, false, true])));
        typed.Inputs.Add(Input("d", "FP64", [2, 2], c => c.Fp64Contents.AddRange([0.5, 0.25, -1.5, 9])));
        typed.Inputs.Add(Input("k", "INT32", [2], c => c.IntContents.AddRange([7, -8])));
        foreach (var name in new[] { "sel", "twice_a", "twice_k" }) typed.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = name });

        var answer = G.Infer(typed);
        CollectionAssert.AreEqual(new[] { "sel", "twice_a", "twice_k" }, answer.Outputs.Select(o => o.Name).ToArray());
        Assert.AreEqual("FP64", answer.Outputs[0].Datatype);
        CollectionAssert.AreEqual(new double[] { 1, 0.25, -1.5, 40 }, answer.Outputs[0].Contents.Fp64Contents.ToArray());
        CollectionAssert.AreEqual(new long[] { 2, -4, 6, 80 }, answer.Outputs[1].Contents.Int64Contents.ToArray());
        CollectionAssert.AreEqual(new[] { 14, -16 }, answer.Outputs[2].Contents.IntContents.ToArray());

        // The same request with raw contents: bool as one byte each, the rest little-endian.
        var raw = new ModelInferRequest { ModelName = "mixed" };
        foreach (var t in typed.Inputs) raw.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = t.Name, Datatype = t.Datatype, Shape = { t.Shape } });
        raw.RawInputContents.Add(Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new long[] { 1, -2, 3, 40 }.AsSpan())));
        raw.RawInputContents.Add(Google.Protobuf.ByteString.CopyFrom([1, 0, 0, 1]));
        raw.RawInputContents.Add(Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new double[] { 0.5, 0.25, -1.5, 9 }.AsSpan())));
        raw.RawInputContents.Add(Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new[] { 7, -8 }.AsSpan())));
        raw.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "twice_k" });
        var rawAnswer = G.Infer(raw);
        Assert.AreEqual("twice_k", rawAnswer.Outputs.Single().Name);
        CollectionAssert.AreEqual(new[] { 14, -16 }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(rawAnswer.RawOutputContents[0].Span).ToArray());
    }

    [TestMethod]
    public async Task NodeGrpcClientGetsExactlyThePredictorsOutputs()
    {
        string nodeDir = Path.Combine(Python.RepoRoot, "Tests", "node");
        if (Python.Run("node", ["--version"], 30).ExitCode != 0) Assert.Inconclusive("needs 'node' on PATH");
        if (!Directory.Exists(Path.Combine(nodeDir, "node_modules", "@grpc", "grpc-js")) || !Directory.Exists(Path.Combine(nodeDir, "node_modules", "@grpc", "proto-loader")))
            Assert.Inconclusive("needs @grpc/grpc-js and @grpc/proto-loader: npm install in Tests/node");
        using var repo = new TempRepository();
        var modelBytes = File.ReadAllBytes(Path.Combine(Python.RepoRoot, "models", "fashion-mlp", "1", "model.onnx"));
        repo.AddVersion("fashion", 1, modelBytes);
        repo.WriteConfig("fashion", "{\"max_batch_size\": 16}");
        await using var s = await ServerFixture.StartAsync(repo, o => o.MaxRequestBodyBytes = 1 << 20);

        var x = TestImages(3);
        string inputs = Path.Combine(repo.Root, "inputs.json");
        File.WriteAllText(inputs, JsonSerializer.Serialize(new { shape = new[] { 3, 1, 28, 28 }, data = x }));
        string proto = Path.Combine(Python.RepoRoot, "Inference", "Server", "Grpc", "grpc_predict_v2.proto");
        string target = $"{s.Host.GrpcAddress!.Host}:{s.Host.GrpcAddress.Port}";
        var (code, stdout, stderr) = Python.Run("node", [Path.Combine(nodeDir, "kserve_grpc_client.mjs"), proto, target, "fashion", "input", inputs], 120);
        Assert.AreEqual(0, code, $"node gRPC client failed: {stderr}");
        var answer = JsonDocument.Parse(stdout).RootElement;

        using var predictor = Predictor.FromBytes(modelBytes);
        var expected = predictor.Predict(TensorValue.FromFloats(x, 3, 1, 28, 28)).Floats("output");
        Assert.IsTrue(answer.GetProperty("live").GetBoolean());
        Assert.AreEqual("input", answer.GetProperty("metadata").GetProperty("inputs")[0].GetProperty("name").GetString());
        // The same two requests over ModelStreamInfer: answered in order, each with its id and no error.
        var streamed = answer.GetProperty("stream").EnumerateArray().ToArray();
        CollectionAssert.AreEqual(new[] { "typed", "raw" }, streamed.Select(a => a.GetProperty("id").GetString()).ToArray());
        Assert.IsTrue(streamed.All(a => a.GetProperty("error").GetString() == ""), answer.GetProperty("stream").ToString());
        foreach (var (kind, outputs) in new[] { ("typed", answer.GetProperty("typed")), ("raw", answer.GetProperty("raw")), ("streamed typed", streamed[0].GetProperty("outputs")), ("streamed raw", streamed[1].GetProperty("outputs")) })
        {
            var output = outputs[0];
            Assert.AreEqual("output", output.GetProperty("name").GetString(), kind);
            Assert.AreEqual("FP32", output.GetProperty("datatype").GetString(), kind);
            CollectionAssert.AreEqual(new[] { 3L, 10L }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), kind);
            // Bit for bit: protobuf floats and raw bytes both carry the float32 values exactly.
            CollectionAssert.AreEqual(expected, output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray(), $"{kind} outputs differ from the in-process Predictor");
        }
    }

    private static float[] TestImages(int count)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(Python.RepoRoot, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")), CompressionMode.Decompress);
        gz.ReadExactly(new byte[16]);
        var pixels = new byte[count * 784];
        gz.ReadExactly(pixels);
        return pixels.Select(p => p / 255f).ToArray();
    }
}
