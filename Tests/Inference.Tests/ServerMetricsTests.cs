using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Server;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// /metrics (prometheus-net): label values stay bounded whatever model names clients send, the runtime's process, GC
/// and thread-pool series are exposed, and --metrics-port serves the scrape without the API key and nothing else.
/// </summary>
[TestClass]
public sealed class ServerMetricsTests
{
    private static long Series(string text, string series)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.IsNotNull(line, $"no series {series} in\n{text}");
        return (long)double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [TestMethod]
    public async Task RequestsForUnknownModelsShareOneLabel()
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        await using var s = await ServerFixture.StartAsync(repo);
        string body = ServerFixture.Infer("x", "FP32", [1, 3], "[1, 2, 3]");
        for (int i = 0; i < 40; i++) Assert.AreEqual(404, (await s.PostAsync($"/v2/models/random{i}/infer", body)).Status);
        Assert.AreEqual(200, (await s.PostAsync("/v2/models/gemm/infer", body)).Status);

        string text = await s.Http.GetStringAsync("/metrics");
        Assert.IsFalse(text.Contains("random", StringComparison.Ordinal), "no series may carry a name the repository does not hold");
        Assert.AreEqual(40, Series(text, $"onnxkit_requests_total{{model=\"{ServerMetrics.UnknownModel}\",endpoint=\"infer\",status=\"404\"}}"));
        Assert.AreEqual(1, Series(text, "onnxkit_requests_total{model=\"gemm\",endpoint=\"infer\",status=\"200\"}"));
        Assert.AreEqual(40, s.Host.Metrics.RequestCount("random7", 404), "every unknown name reads the shared count");
    }

    [TestMethod]
    public async Task ProcessGcAndThreadPoolSeriesAreExposed()
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        await using var s = await ServerFixture.StartAsync(repo);
        string text = await s.Http.GetStringAsync("/metrics");
        Assert.IsTrue(Series(text, "dotnet_threadpool_threads") >= 1);
        StringAssert.Contains(text, "# TYPE process_cpu_seconds_total counter");
        StringAssert.Contains(text, "dotnet_collection_count_total{generation=\"0\"}");
        Assert.IsTrue(Series(text, "process_working_set_bytes") > 1 << 20);
        Assert.AreEqual(1, Series(text, "onnxkit_model_ready{model=\"gemm\",version=\"1\"}"));
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [TestMethod]
    public async Task MetricsPortServesTheScrapeWithoutTheKeyAndNothingElse()
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        int port = FreePort();
        await using var s = await ServerFixture.StartAsync(repo, o => { o.ApiKey = "s3cret"; o.MetricsPort = port; });
        Assert.AreNotEqual(port, s.Host.BaseAddress.Port, "the API keeps its own port");
        Assert.AreEqual(401, (await s.GetAsync("/metrics")).Status, "on the API port the key still guards /metrics");

        using var scrape = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        using (var r = await scrape.GetAsync("metrics"))
        {
            Assert.AreEqual(HttpStatusCode.OK, r.StatusCode);
            StringAssert.Contains(await r.Content.ReadAsStringAsync(), "onnxkit_model_ready{model=\"gemm\",version=\"1\"} 1");
        }
        using (var r = await scrape.GetAsync("v2/models/gemm")) Assert.AreEqual(HttpStatusCode.NotFound, r.StatusCode, "no model endpoint on the scrape port");
        using (var r = await scrape.PostAsync("v2/models/gemm/infer", new StringContent(ServerFixture.Infer("x", "FP32", [1, 3], "[1, 2, 3]"))))
            Assert.AreEqual(HttpStatusCode.NotFound, r.StatusCode);
    }

    [TestMethod]
    public void MetricsPortIsParsedAndMustDifferFromThePort()
    {
        Assert.AreEqual(9100, ServerOptions.Parse(["--metrics-port", "9100"]).MetricsPort);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ServerOptions.Parse(["--port", "9000", "--metrics-port", "9000"])).Message, "must differ from --port");
    }
}
