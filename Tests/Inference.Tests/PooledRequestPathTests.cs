using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// The request path's pooled buffers: bodies of unknown length grow past the first buffer, a short request after a
/// long one (in a reused, larger buffer) is read by its own length, a small answer after a large one carries nothing
/// of it, and the allocation counter the serve benchmark reads is exported.
/// </summary>
[TestClass]
public sealed class PooledRequestPathTests
{
    private static ServerFixture S = null!;

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        S = await ServerFixture.StartAsync(repo);
    }

    [ClassCleanup]
    public static async Task Stop() => await S.DisposeAsync();

    // Rows x_r = (r, -r / 2, 1 + r mod 5) / 8: exact in float32, distinct per row.
    private static float[] Rows(int rows) =>
        Enumerable.Range(0, rows).SelectMany(r => new[] { r / 8f, -r / 16f, (1 + r % 5) / 8f }).ToArray();

    private static string Body(float[] x) =>
        ServerFixture.Infer("x", "FP32", [x.Length / 3, 3], "[" + string.Join(", ", x.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]");

    // Sent without Content-Length (chunked), so the server cannot size its buffer up front.
    private static async Task<(int Status, JsonElement Body)> PostChunkedAsync(string json)
    {
        using var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var r = await S.Http.PostAsync("/v2/models/gemm/infer", content);
        Assert.IsNull(r.RequestMessage!.Content!.Headers.ContentLength, "the request must go without Content-Length");
        return ((int)r.StatusCode, ServerFixture.Parse(await r.Content.ReadAsStringAsync()));
    }

    private static float[] Output(JsonElement body) => body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [TestMethod]
    public async Task ChunkedBodyLargerThanTheFirstBufferGetsEveryRowsAnswer()
    {
        var x = Rows(900); // about 16 KB of JSON, four times the buffer a body of unknown length starts with
        var (status, body) = await PostChunkedAsync(Body(x));
        Assert.AreEqual(200, status, body.ToString());
        CollectionAssert.AreEqual(TestModels.Expected(x), Output(body));
    }

    [TestMethod]
    public async Task ChunkedBodyOverTheLimitIs413()
    {
        var (status, body) = await PostChunkedAsync(Body(Rows(6000))); // over the fixture's 64 KiB
        Assert.AreEqual(413, status, body.ToString());
        StringAssert.Contains(body.GetProperty("error").GetString(), "over the limit of 65536 bytes");
    }

    [TestMethod]
    public async Task ShortRequestAfterLongOnesIsAnsweredOnItsOwnBytes()
    {
        var small = new float[] { 1, 1, 1 };
        for (int round = 0; round < 3; round++)
        {
            var large = Rows(700);
            var (ls, lb) = await S.PostAsync("/v2/models/gemm/infer", Body(large));
            Assert.AreEqual(200, ls, lb.ToString());
            CollectionAssert.AreEqual(TestModels.Expected(large), Output(lb));
            var (ss, sb) = await S.PostAsync("/v2/models/gemm/infer", Body(small));
            Assert.AreEqual(200, ss, sb.ToString());
            CollectionAssert.AreEqual(TestModels.Expected(small), Output(sb)); // [6.5, -0.5] by hand
            Assert.AreEqual(1, sb.GetProperty("outputs")[0].GetProperty("shape")[0].GetInt32());
        }
    }

    [TestMethod]
    public async Task AllocatedBytesCounterIsExportedAndGrows()
    {
        static async Task<double> Scrape()
        {
            string text = await S.Http.GetStringAsync("/metrics");
            string line = text.Split('\n').Single(l => l.StartsWith("dotnet_gc_allocated_bytes_total ", StringComparison.Ordinal));
            return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        }
        double before = await Scrape();
        Assert.IsTrue(before > 0, $"counter {before}");
        await S.PostAsync("/v2/models/gemm/infer", Body(Rows(100)));
        Assert.IsTrue(await Scrape() > before);
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
