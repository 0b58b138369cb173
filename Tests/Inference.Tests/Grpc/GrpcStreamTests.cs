using Grpc.Core;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// Triton's streaming RPC (<c>ModelStreamInfer</c>) against one real server with an API key and a batching model:
/// answers checked against the in-process Predictor and the hand-computed Gemm, a bad request in the middle of a stream
/// answered with its error while the stream goes on, and the request metrics shared with unary calls.
/// </summary>
[TestClass]
public sealed class GrpcStreamTests
{
    private static ServerFixture S = null!;
    private static GrpcClient G = null!;
    private static Predictor P = null!;
    private const string Key = "k3y";

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        var repo = new TempRepository();
        var gemm = TestModels.Gemm();
        repo.AddVersion("gemm", 1, gemm);
        repo.WriteConfig("gemm", "{\"max_batch_size\": 8}"); // stream requests go through the batcher as unary ones do
        // A batch waits 300 ms for company: requests run one at a time would each run alone.
        repo.AddVersion("gemmw", 1, gemm);
        repo.WriteConfig("gemmw", "{\"max_batch_size\": 8, \"batch_window_ms\": 300}");
        S = await ServerFixture.StartAsync(repo, o => o.ApiKey = Key);
        G = new GrpcClient(S, Key);
        P = Predictor.FromBytes(gemm);
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        G.Dispose();
        P.Dispose();
        await S.DisposeAsync();
    }

    // Rows of 3 that differ per request, so a response given to the wrong request cannot pass.
    private static float[] Rows(int seed, int rows) => Enumerable.Range(0, rows * 3).Select(i => (seed * 7 + i * 3) % 11 - 5f).ToArray();

    private static ModelInferRequest Request(int seed, int rows, bool raw, string id)
    {
        var x = Rows(seed, rows);
        var r = raw ? GrpcClient.Raw("gemm", "x", [rows, 3], GrpcClient.Bytes(x)) : GrpcClient.Typed("gemm", "x", [rows, 3], x);
        r.Id = id;
        return r;
    }

    private static float[] Output(ModelInferResponse r) =>
        r.RawOutputContents.Count > 0 ? GrpcClient.Floats(r.RawOutputContents[0]) : r.Outputs[0].Contents.Fp32Contents.ToArray();

    /// <summary>Writes every request, then closes the request side and reads every answer.</summary>
    private static async Task<List<ModelStreamInferResponse>> StreamAsync(GrpcClient client, IEnumerable<ModelInferRequest> requests)
    {
        using var call = client.Service.ModelStreamInfer(client.Headers);
        foreach (var r in requests) await call.RequestStream.WriteAsync(r);
        await call.RequestStream.CompleteAsync();
        var answers = new List<ModelStreamInferResponse>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) answers.Add(call.ResponseStream.Current);
        return answers;
    }

    [TestMethod]
    public async Task StreamsOfRawAndTypedRequestsGetThePredictorsOutputsWithTheirIds()
    {
        long ok0 = S.Host.Metrics.RequestCount("gemm", 200);
        // Three streams at once, each six requests of 1–3 rows alternating raw and typed contents.
        var streams = Enumerable.Range(0, 3).Select(s => Enumerable.Range(0, 6).Select(i => (Seed: s * 10 + i, Rows: i % 3 + 1, Raw: i % 2 == 0)).ToArray()).ToArray();
        var answers = await Task.WhenAll(streams.Select((reqs, s) => StreamAsync(G, reqs.Select(q => Request(q.Seed, q.Rows, q.Raw, $"s{s}-{q.Seed}")))));

        for (int s = 0; s < streams.Length; s++)
        {
            Assert.AreEqual(streams[s].Length, answers[s].Count, $"stream {s}: one answer per request");
            for (int i = 0; i < streams[s].Length; i++)
            {
                var (seed, rows, raw) = streams[s][i];
                var a = answers[s][i];
                Assert.AreEqual("", a.ErrorMessage);
                Assert.AreEqual($"s{s}-{seed}", a.InferResponse.Id, "answers come in the order of the requests, each with its id");
                Assert.AreEqual("gemm", a.InferResponse.ModelName);
                Assert.AreEqual("1", a.InferResponse.ModelVersion);
                Assert.AreEqual(raw ? 1 : 0, a.InferResponse.RawOutputContents.Count, "raw in, raw out; typed in, typed out");
                CollectionAssert.AreEqual(new long[] { rows, 2 }, a.InferResponse.Outputs[0].Shape.ToArray());
                var x = Rows(seed, rows);
                var expected = P.Predict(TensorValue.FromFloats(x, rows, 3)).Floats("y");
                CollectionAssert.AreEqual(expected, Output(a.InferResponse), $"stream {s} request {i}: not the Predictor's outputs");
                CollectionAssert.AreEqual(TestModels.Expected(x), Output(a.InferResponse), $"stream {s} request {i}: not the hand-computed outputs");
            }
        }
        Assert.AreEqual(18, S.Host.Metrics.RequestCount("gemm", 200) - ok0, "each streamed request is counted as a unary call is");
    }

    // Batches the server has run for a model so far (the batch-size histogram's count).
    private static long Batches(string model)
    {
        string series = $"onnxkit_batch_size_count{{model=\"{model}\"}} ";
        var line = S.Host.Metrics.Render().Split('\n').FirstOrDefault(l => l.StartsWith(series, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[series.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [TestMethod]
    public async Task RequestsOfOneStreamRunSideBySideAndTheBatcherMergesThem()
    {
        long batches0 = Batches("gemmw");
        // Eight one-row requests written at once on one stream, to a model whose batches wait 300 ms for company.
        var requests = Enumerable.Range(0, 8).Select(i =>
        {
            var r = Request(40 + i, 1, raw: i % 2 == 0, $"w{i}");
            r.ModelName = "gemmw";
            return r;
        }).ToArray();
        var answers = await StreamAsync(G, requests);

        CollectionAssert.AreEqual(requests.Select(r => r.Id).ToArray(), answers.Select(a => a.InferResponse.Id).ToArray(), "answered in the order of the requests");
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.AreEqual("", answers[i].ErrorMessage, requests[i].Id);
            CollectionAssert.AreEqual(TestModels.Expected(Rows(40 + i, 1)), Output(answers[i].InferResponse), $"{requests[i].Id}: its own row's outputs");
        }
        // Run one at a time, each request would have waited its window alone: eight batches of one row.
        long batches = Batches("gemmw") - batches0;
        Assert.IsTrue(batches is >= 1 and < 8, $"the stream's eight requests ran in {batches} batches; side by side they share batches");
    }

    [TestMethod]
    public async Task ABadRequestGetsItsErrorAndTheStreamGoesOn()
    {
        long bad0 = S.Host.Metrics.RequestCount("gemm", 400), missing0 = S.Host.Metrics.RequestCount("nope", 404);
        var wrongShape = GrpcClient.Typed("gemm", "x", [1, 4], [1, 2, 3, 4]);
        wrongShape.Id = "bad-shape";
        var unknownModel = GrpcClient.Typed("nope", "x", [1, 3], [1, 2, 3]);
        unknownModel.Id = "bad-model";
        var wrongType = GrpcClient.Typed("gemm", "x", [1, 3], [1, 2, 3], "INT64");
        wrongType.Id = "bad-type";
        var requests = new[]
        {
            Request(1, 2, raw: true, "ok-1"), wrongShape, Request(2, 1, raw: false, "ok-2"), unknownModel,
            Request(3, 3, raw: true, "ok-3"), wrongType, Request(4, 1, raw: false, "ok-4"),
        };
        var answers = await StreamAsync(G, requests);

        CollectionAssert.AreEqual(requests.Select(r => r.Id).ToArray(), answers.Select(a => a.InferResponse.Id).ToArray(), "one answer per request, in order, each with its id");
        var errors = new Dictionary<string, string>
        {
            ["bad-shape"] = "input 'x' dimension 1 must be 3",
            ["bad-model"] = "no model 'nope'",
            ["bad-type"] = "datatype INT64 does not match the model, which expects FP32",
        };
        foreach (var a in answers)
        {
            string id = a.InferResponse.Id;
            if (errors.TryGetValue(id, out var fragment))
            {
                StringAssert.Contains(a.ErrorMessage, fragment, id);
                Assert.AreEqual(0, a.InferResponse.Outputs.Count, id);
                continue;
            }
            Assert.AreEqual("", a.ErrorMessage, id);
            var q = requests.Single(r => r.Id == id);
            int seed = int.Parse(id[3..], System.Globalization.CultureInfo.InvariantCulture), rows = (int)q.Inputs[0].Shape[0];
            CollectionAssert.AreEqual(TestModels.Expected(Rows(seed, rows)), Output(a.InferResponse), $"{id}: a request after a bad one is still answered exactly");
        }
        Assert.AreEqual(2, S.Host.Metrics.RequestCount("gemm", 400) - bad0, "the two bad gemm requests are counted as 400s");
        Assert.AreEqual(1, S.Host.Metrics.RequestCount("nope", 404) - missing0, "the unknown model is counted as a 404");
    }

    [TestMethod]
    public async Task AStreamWithoutTheApiKeyFailsUnauthenticated()
    {
        using var noKey = new GrpcClient(S);
        var e = await Assert.ThrowsExactlyAsync<RpcException>(() => StreamAsync(noKey, [Request(1, 1, raw: true, "r")]));
        Assert.AreEqual(StatusCode.Unauthenticated, e.StatusCode, e.Status.Detail);
        StringAssert.Contains(e.Status.Detail, "missing or wrong API key");

        using var wrongKey = new GrpcClient(S, "not-the-key");
        var w = await Assert.ThrowsExactlyAsync<RpcException>(() => StreamAsync(wrongKey, [Request(1, 1, raw: true, "r")]));
        Assert.AreEqual(StatusCode.Unauthenticated, w.StatusCode, w.Status.Detail);
    }

    [TestMethod]
    public async Task StoppingTheServerEndsAnOpenStreamWithOk()
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        // A long shutdown timeout: a stream the server did not end itself would hold the stop for it, then be aborted.
        await using var server = await ServerFixture.StartAsync(repo, o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        using var client = new GrpcClient(server);
        using var call = client.Service.ModelStreamInfer(client.Headers);
        await call.RequestStream.WriteAsync(Request(5, 1, raw: true, "before-stop"));
        Assert.IsTrue(await call.ResponseStream.MoveNext(CancellationToken.None));
        CollectionAssert.AreEqual(TestModels.Expected(Rows(5, 1)), Output(call.ResponseStream.Current.InferResponse));

        var stop = server.Host.StopAsync();
        Assert.IsFalse(await call.ResponseStream.MoveNext(CancellationToken.None), "the server ends the open stream");
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode, call.GetStatus().Detail);
        await stop;
    }
}
