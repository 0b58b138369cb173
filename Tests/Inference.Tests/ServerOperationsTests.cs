using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// The server as operations see it: a client in another language, hot reload under load, the API key,
/// the concurrency limit, request timeouts and graceful shutdown — each against a real Kestrel server.
/// </summary>
[TestClass]
public sealed class ServerOperationsTests
{
    private static readonly string NodeDir = Path.Combine(Python.RepoRoot, "Tests", "node");

    /// <summary>The first <paramref name="count"/> Fashion-MNIST test images, scaled to [0, 1] as the model expects.</summary>
    private static float[] TestImages(int count)
    {
        string path = Path.Combine(Python.RepoRoot, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var header = new byte[16];
        gz.ReadExactly(header);
        var pixels = new byte[count * 784];
        gz.ReadExactly(pixels);
        return pixels.Select(p => p / 255f).ToArray();
    }

    [TestMethod]
    public async Task NodeFetchClientGetsThePredictorsOutputsWithJsonAndBinaryData()
    {
        if (Python.Run("node", ["--version"], 30).ExitCode != 0) Assert.Inconclusive("needs 'node' (18 or later, for fetch) on PATH");
        using var repo = new TempRepository();
        var modelBytes = File.ReadAllBytes(Path.Combine(Python.RepoRoot, "models", "fashion-mlp", "1", "model.onnx"));
        repo.AddVersion("fashion", 1, modelBytes);
        await using var s = await ServerFixture.StartAsync(repo, o => o.MaxRequestBodyBytes = 1 << 20);

        var x = TestImages(4);
        string inputs = Path.Combine(repo.Root, "inputs.json");
        File.WriteAllText(inputs, JsonSerializer.Serialize(new { shape = new[] { 4, 1, 28, 28 }, data = x }));
        var (code, stdout, stderr) = Python.Run("node", [Path.Combine(NodeDir, "kserve_client.mjs"), s.Host.BaseAddress.ToString(), "fashion", "input", inputs], 120);
        Assert.AreEqual(0, code, $"node client failed: {stderr}");
        var answer = JsonDocument.Parse(stdout).RootElement;

        using var predictor = Predictor.FromBytes(modelBytes);
        var expected = predictor.Predict(TensorValue.FromFloats(x, 4, 1, 28, 28)).Floats("output");
        Assert.AreEqual(200, answer.GetProperty("live").GetInt32());
        Assert.AreEqual("input", answer.GetProperty("metadata").GetProperty("inputs")[0].GetProperty("name").GetString());
        foreach (var kind in new[] { "json", "binary" })
        {
            var output = answer.GetProperty(kind)[0];
            Assert.AreEqual("output", output.GetProperty("name").GetString(), kind);
            CollectionAssert.AreEqual(new[] { 4L, 10L }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), kind);
            var got = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            // Same float32 values: JSON numbers are printed round-trippably, binary data is the raw bytes.
            CollectionAssert.AreEqual(expected, got, $"{kind} outputs differ from the in-process Predictor");
        }
    }

    [TestMethod]
    public async Task HotReloadOverHttpWhileClientsSendRequestsFailsNone()
    {
        using var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm(1));
        await using var s = await ServerFixture.StartAsync(repo, o => o.RescanInterval = TimeSpan.FromMilliseconds(100));
        float[] x = [1, 0, 0];
        string body = ServerFixture.Infer("x", "FP32", [1, 3], "[1, 0, 0]");
        var seen = new ConcurrentDictionary<float, int>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, answer) = await s.PostAsync("/v2/models/gemm/infer", body);
                if (status != 200) { failures.Enqueue($"{status}: {answer}"); continue; }
                float y0 = answer.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle();
                // y0 = scale · (1·1 + 0.5): which version answered.
                seen.AddOrUpdate(MathF.Round(y0 / 1.5f, 3), 1, (_, n) => n + 1);
            }
        })).ToArray();
        async Task<bool> Until(Func<bool> condition)
        {
            for (int i = 0; i < 300 && !condition(); i++) await Task.Delay(50); // at most 15 s
            return condition();
        }
        Assert.IsTrue(await Until(() => seen.ContainsKey(1f)), "no request was answered by version 1");
        repo.AddVersion("gemm", 2, TestModels.Gemm(2));
        Assert.IsTrue(await Until(() => seen.ContainsKey(2f)), "version 2 was never served");
        repo.ReplaceVersion("gemm", 2, TestModels.Gemm(3));
        Assert.IsTrue(await Until(() => seen.ContainsKey(3f)), "the rewritten version 2 was never served");
        stop.Cancel();
        await Task.WhenAll(clients);
        Assert.IsTrue(failures.IsEmpty, $"{failures.Count} requests failed during reload, first: {failures.FirstOrDefault()}");
        CollectionAssert.IsSubsetOf(seen.Keys.ToArray(), new[] { 1f, 2f, 3f });
        Assert.IsTrue(seen.Values.Sum() > 10, "too few requests ran to show anything");
        _ = x;
    }

    [TestMethod]
    public async Task ApiKeyGuardsEverythingButHealthProbes()
    {
        using var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        await using var s = await ServerFixture.StartAsync(repo, o => o.ApiKey = "s3cret");
        string body = ServerFixture.Infer("x", "FP32", [1, 3], "[1, 1, 1]");

        Assert.AreEqual(200, (await s.GetAsync("/v2/health/ready")).Status, "probes need no key");
        var (status, answer) = await s.PostAsync("/v2/models/gemm/infer", body);
        Assert.AreEqual(401, status);
        StringAssert.Contains(answer.GetProperty("error").GetString(), "X-API-Key");

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v2/models/gemm/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        wrong.Headers.Add("X-API-Key", "s3cret!");
        using (var r = await s.Http.SendAsync(wrong)) Assert.AreEqual(HttpStatusCode.Unauthorized, r.StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Post, "/v2/models/gemm/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        right.Headers.Add("X-API-Key", "s3cret");
        using (var r = await s.Http.SendAsync(right))
        {
            Assert.AreEqual(HttpStatusCode.OK, r.StatusCode);
            var y = ServerFixture.Parse(await r.Content.ReadAsStringAsync()).GetProperty("outputs")[0].GetProperty("data");
            CollectionAssert.AreEqual(TestModels.Expected([1, 1, 1]), y.EnumerateArray().Select(e => e.GetSingle()).ToArray());
        }

        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/v2/models/gemm");
        bearer.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
        using (var r = await s.Http.SendAsync(bearer)) Assert.AreEqual(HttpStatusCode.OK, r.StatusCode);
    }

    [TestMethod]
    public async Task ConcurrencyLimitAnswers503AndTimeoutAnswers504()
    {
        using var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        // A long batching window with room for more rows keeps the first request waiting in the queue.
        repo.WriteConfig("gemm", "{\"max_batch_size\": 64, \"batch_window_ms\": 1500}");
        await using var s = await ServerFixture.StartAsync(repo, o => { o.MaxConcurrentRequests = 1; o.RequestTimeout = TimeSpan.FromSeconds(20); });
        string body = ServerFixture.Infer("x", "FP32", [1, 3], "[1, 1, 1]");

        var first = s.PostAsync("/v2/models/gemm/infer", body);
        await Task.Delay(300);
        var (status, answer) = await s.PostAsync("/v2/models/gemm/infer", body);
        Assert.AreEqual(503, status, answer.ToString());
        StringAssert.Contains(answer.GetProperty("error").GetString(), "1 requests in flight");
        Assert.AreEqual(200, (await first).Status, "the request holding the only slot still completes");

        await using var slow = await ServerFixture.StartAsync(repo, o => o.RequestTimeout = TimeSpan.FromMilliseconds(200));
        var (timeoutStatus, timeoutAnswer) = await slow.PostAsync("/v2/models/gemm/infer", body);
        Assert.AreEqual(504, timeoutStatus, timeoutAnswer.ToString());
        StringAssert.Contains(timeoutAnswer.GetProperty("error").GetString(), "200 ms timeout");
        Assert.AreEqual(200, (await slow.GetAsync("/v2/health/live")).Status, "the server keeps serving after a timeout");
    }

    [TestMethod]
    public async Task GracefulShutdownFinishesInFlightRequests()
    {
        using var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        repo.WriteConfig("gemm", "{\"max_batch_size\": 64, \"batch_window_ms\": 800}");
        var s = await ServerFixture.StartAsync(repo);
        string body = ServerFixture.Infer("x", "FP32", [1, 3], "[1, 1, 1]");
        var inFlight = s.PostAsync("/v2/models/gemm/infer", body);
        await Task.Delay(200);                      // the request is now waiting for its batch
        var stopping = s.Host.DisposeAsync().AsTask();
        var (status, answer) = await inFlight;
        await stopping;
        Assert.AreEqual(200, status, answer.ToString());
        CollectionAssert.AreEqual(TestModels.Expected([1, 1, 1]), answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        s.Http.Dispose();
        await Assert.ThrowsExactlyAsync<HttpRequestException>(() => new HttpClient().GetAsync(new Uri(s.Host.BaseAddress, "v2/health/live")));
    }
}
