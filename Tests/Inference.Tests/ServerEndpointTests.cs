using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Inference;

/// <summary>Every endpoint and every bad-input case against one real server (Kestrel on a loopback port).</summary>
[TestClass]
public sealed class ServerEndpointTests
{
    private static ServerFixture S = null!;
    private static readonly float[] X = [1, 1, 1, -1, 0, 2];

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        repo.WriteConfig("gemm", "{\"max_batch_size\": 8, \"batch_window_ms\": 1, \"labels\": [\"first\", \"second\"]}");
        repo.AddVersion("mixed", 1, TestModels.Mixed());
        repo.AddVersion("broken", 1, TestModels.Corrupt);
        repo.AddVersion("nanok", 1, TestModels.Gemm());
        repo.WriteConfig("nanok", "{\"allow_nan\": true}");
        S = await ServerFixture.StartAsync(repo);
    }

    [ClassCleanup]
    public static async Task Stop() => await S.DisposeAsync();

    private static float[] Floats(JsonElement data) => data.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static async Task<string> ExpectError(Task<(int Status, JsonElement Body)> call, int status, params string[] fragments)
    {
        var (code, body) = await call;
        Assert.AreEqual(status, code, body.ToString());
        string error = body.GetProperty("error").GetString()!;
        foreach (var f in fragments) StringAssert.Contains(error, f);
        return error;
    }

    [TestMethod]
    public async Task HealthAndServerMetadata()
    {
        var (live, lb) = await S.GetAsync("/v2/health/live");
        Assert.AreEqual(200, live);
        Assert.IsTrue(lb.GetProperty("live").GetBoolean());
        var (ready, rb) = await S.GetAsync("/v2/health/ready");
        Assert.AreEqual(200, ready);
        Assert.IsTrue(rb.GetProperty("ready").GetBoolean());
        var (meta, mb) = await S.GetAsync("/v2");
        Assert.AreEqual(200, meta);
        Assert.AreEqual("onnxkit", mb.GetProperty("name").GetString());
        CollectionAssert.IsSubsetOf(new[] { "model_repository", "binary_tensor_data" }, mb.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()).ToArray());
        await ExpectError(S.GetAsync("/v3/nothing"), 404, "no endpoint GET /v3/nothing");
    }

    [TestMethod]
    public async Task ModelMetadataForModelAndVersion()
    {
        foreach (var path in new[] { "/v2/models/gemm", "/v2/models/gemm/versions/1" })
        {
            var (status, b) = await S.GetAsync(path);
            Assert.AreEqual(200, status, path);
            Assert.AreEqual("gemm", b.GetProperty("name").GetString());
            CollectionAssert.AreEqual(new[] { "1" }, b.GetProperty("versions").EnumerateArray().Select(e => e.GetString()).ToArray());
            var input = b.GetProperty("inputs")[0];
            Assert.AreEqual("x", input.GetProperty("name").GetString());
            Assert.AreEqual("FP32", input.GetProperty("datatype").GetString());
            CollectionAssert.AreEqual(new long[] { -1, 3 }, input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
            Assert.AreEqual("y", b.GetProperty("outputs")[0].GetProperty("name").GetString());
            Assert.AreEqual(17, b.GetProperty("parameters").GetProperty("opset").GetInt32());
            CollectionAssert.AreEqual(new[] { "first", "second" }, b.GetProperty("parameters").GetProperty("labels").EnumerateArray().Select(e => e.GetString()).ToArray());
        }
        await ExpectError(S.GetAsync("/v2/models/gemm/versions/7"), 404, "model 'gemm' has no version '7'");
        await ExpectError(S.GetAsync("/v2/models/gemm/versions/abc"), 404, "no version 'abc'");
        await ExpectError(S.GetAsync("/v2/models/nope"), 404, "no model 'nope'");
        await ExpectError(S.GetAsync("/v2/models/broken"), 503, "model 'broken' is unavailable", "model.onnx");
    }

    [TestMethod]
    public async Task ModelReadiness()
    {
        var (s1, b1) = await S.GetAsync("/v2/models/gemm/ready");
        Assert.AreEqual(200, s1);
        Assert.IsTrue(b1.GetProperty("ready").GetBoolean());
        var (s2, _) = await S.GetAsync("/v2/models/gemm/versions/1/ready");
        Assert.AreEqual(200, s2);
        var (s3, b3) = await S.GetAsync("/v2/models/broken/ready");
        Assert.AreEqual(503, s3);
        Assert.IsFalse(b3.GetProperty("ready").GetBoolean());
        StringAssert.Contains(b3.GetProperty("error").GetString(), "model.onnx");
        await ExpectError(S.GetAsync("/v2/models/nope/ready"), 404, "no model 'nope'");
    }

    [TestMethod]
    public async Task InferFlatAndNestedDataMatchesThePredictor()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var expected = p.Predict(TensorValue.FromFloats(X, 2, 3)).Floats("y");
        Compare.Close(new float[] { 6.5f, -0.5f, 5.5f, 2.5f }, expected, 1e-5);
        string flat = ServerFixture.Infer("x", "FP32", [2, 3], "[1, 1, 1, -1, 0, 2]").Replace("{\"inputs\"", "{\"id\": \"req-7\", \"inputs\"");
        foreach (var body in new[] { flat, ServerFixture.Infer("x", "FP32", [2, 3], "[[1, 1, 1], [-1, 0, 2]]") })
        {
            foreach (var path in new[] { "/v2/models/gemm/infer", "/v2/models/gemm/versions/1/infer" })
            {
                var (status, b) = await S.PostAsync(path, body);
                Assert.AreEqual(200, status, b.ToString());
                Assert.AreEqual("gemm", b.GetProperty("model_name").GetString());
                Assert.AreEqual("1", b.GetProperty("model_version").GetString());
                var y = b.GetProperty("outputs")[0];
                Assert.AreEqual("y", y.GetProperty("name").GetString());
                Assert.AreEqual("FP32", y.GetProperty("datatype").GetString());
                CollectionAssert.AreEqual(new long[] { 2, 2 }, y.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
                CollectionAssert.AreEqual(expected, Floats(y.GetProperty("data")));
            }
        }
        var (_, withId) = await S.PostAsync("/v2/models/gemm/infer", flat);
        Assert.AreEqual("req-7", withId.GetProperty("id").GetString());
    }

    [TestMethod]
    public async Task InferEveryDatatypeAndOutputSelection()
    {
        string body = """
            {"inputs": [
              {"name": "a", "datatype": "INT64", "shape": [2, 2], "data": [1, -2, 3, 40]},
              {"name": "flag", "datatype": "BOOL", "shape": [2, 2], "data": [true, false, false, true]},
              {"name": "d", "datatype": "FP64", "shape": [2, 2], "data": [0.5, 0.25, -1.5, 9]},
              {"name": "k", "datatype": "INT32", "shape": [2], "data": [7, -8]}],
             "outputs": [{"name": "sel"}, {"name": "twice_a"}, {"name": "twice_k"}]}
            """;
        var (status, b) = await S.PostAsync("/v2/models/mixed/infer", body);
        Assert.AreEqual(200, status, b.ToString());
        var outs = b.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        CollectionAssert.AreEqual(new[] { "sel", "twice_a", "twice_k" }, b.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()).ToArray());
        Assert.AreEqual("FP64", outs["sel"].GetProperty("datatype").GetString());
        CollectionAssert.AreEqual(new double[] { 1, 0.25, -1.5, 40 }, outs["sel"].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        Assert.AreEqual("INT64", outs["twice_a"].GetProperty("datatype").GetString());
        CollectionAssert.AreEqual(new long[] { 2, -4, 6, 80 }, outs["twice_a"].GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new int[] { 14, -16 }, outs["twice_k"].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()).ToArray());

        var (one, ob) = await S.PostAsync("/v2/models/mixed/infer", body.Replace("{\"name\": \"sel\"}, {\"name\": \"twice_a\"}, ", ""));
        Assert.AreEqual(200, one);
        Assert.AreEqual(1, ob.GetProperty("outputs").GetArrayLength());
        await ExpectError(S.PostAsync("/v2/models/mixed/infer", body.Replace("{\"name\": \"sel\"}", "{\"name\": \"zzz\"}")), 400, "model 'mixed' has no output 'zzz'");
        await ExpectError(S.PostAsync("/v2/models/mixed/infer", body.Replace("[7, -8]", "[7, 3000000000]")), 400, "input 'k': element 1 = 3000000000 is out of range for INT32");
        await ExpectError(S.PostAsync("/v2/models/mixed/infer", body.Replace("[7, -8]", "[7, 1.5]")), 400, "input 'k': element 1 is 1.5, expected an integer");
        await ExpectError(S.PostAsync("/v2/models/mixed/infer", body.Replace("[true, false, false, true]", "[true, false, \"no\", true]")), 400, "input 'flag': element 2 is \"no\", expected true or false");
    }

    [TestMethod]
    public async Task BinaryDataOutputAndInput()
    {
        string body = ServerFixture.Infer("x", "FP32", [2, 3], "[1, 1, 1, -1, 0, 2]").TrimEnd('}') + ", \"parameters\": {\"binary_data_output\": true}}";
        using var r = await S.Http.PostAsync("/v2/models/gemm/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.OK, r.StatusCode);
        int headerLength = int.Parse(r.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        var bytes = await r.Content.ReadAsByteArrayAsync();
        var header = JsonDocument.Parse(bytes.AsMemory(0, headerLength)).RootElement;
        var y = header.GetProperty("outputs")[0];
        Assert.AreEqual(16, y.GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.IsFalse(y.TryGetProperty("data", out _));
        var values = new float[4];
        Buffer.BlockCopy(bytes, headerLength, values, 0, 16);
        Compare.Close(TestModels.Expected(X), values, 1e-5);

        // Binary input: JSON header, then the raw little-endian floats.
        string json = "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [2, 3], \"parameters\": {\"binary_data_size\": 24}}]}";
        var jsonBytes = Encoding.UTF8.GetBytes(json);
        var payload = new byte[jsonBytes.Length + 24];
        jsonBytes.CopyTo(payload, 0);
        Buffer.BlockCopy(X, 0, payload, jsonBytes.Length, 24);
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", jsonBytes.Length.ToString(CultureInfo.InvariantCulture));
        using var r2 = await S.Http.PostAsync("/v2/models/gemm/infer", content);
        var b2 = ServerFixture.Parse(await r2.Content.ReadAsStringAsync());
        Assert.AreEqual(HttpStatusCode.OK, r2.StatusCode, b2.ToString());
        CollectionAssert.AreEqual(TestModels.Expected(X), Floats(b2.GetProperty("outputs")[0].GetProperty("data")));

        var bad = new ByteArrayContent(payload[..^4]);
        bad.Headers.Add("Inference-Header-Content-Length", jsonBytes.Length.ToString(CultureInfo.InvariantCulture));
        using var r3 = await S.Http.PostAsync("/v2/models/gemm/infer", bad);
        Assert.AreEqual(HttpStatusCode.BadRequest, r3.StatusCode);
        StringAssert.Contains(await r3.Content.ReadAsStringAsync(), "binary_data_size 24 runs past the end of the binary part (20 bytes left)");
    }

    [TestMethod]
    public async Task BadRequestsAreNamed4xxAndTheServerKeepsServing()
    {
        const string url = "/v2/models/gemm/infer";
        await ExpectError(S.PostAsync(url, "{\"inputs\": [ {\"name\": "), 400, "malformed JSON");
        await ExpectError(S.PostAsync(url, "[1, 2]"), 400, "must be a JSON object");
        await ExpectError(S.PostAsync(url, "{\"data\": []}"), 400, "needs an 'inputs' array");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("input", "FP32", [1, 3], "[1, 2, 3]")), 400, "model 'gemm' has no input 'input'", "x (float32 [batch, 3])");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "INT64", [1, 3], "[1, 2, 3]")), 400, "input 'x': datatype INT64 does not match the model, which expects FP32");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP99", [1, 3], "[1, 2, 3]")), 400, "unknown datatype 'FP99'");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP32", [1, 4], "[1, 2, 3, 4]")), 400, "input 'x' dimension 1 must be 3 (shape [batch, 3]), got shape [1, 4]");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP32", [3], "[1, 2, 3]")), 400, "input 'x' must have rank 2");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP32", [2, 3], "[1, 2, 3, 4, 5]")), 400, "input 'x': shape [2, 3] needs 6 values, data has 5");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP32", [1, -3], "[1, 2, 3]")), 400, "shape entries must be non-negative integers");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP32", [1, 3], "[1, \"NaN\", 3]")), 400, "input 'x': element 1 is NaN; this model does not accept NaN", "allow_nan");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP32", [1, 3], "[1, 2, 1e60]")), 400, "input 'x': element 2 is Infinity");
        await ExpectError(S.PostAsync(url, ServerFixture.Infer("x", "FP32", [1, 3], "[1, \"two\", 3]")), 400, "element 1 is the string \"two\", expected a number");
        await ExpectError(S.PostAsync(url, "{\"inputs\": [" + string.Join(",", Enumerable.Repeat("{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 3], \"data\": [1, 2, 3]}", 2)) + "]}"), 400, "input 'x' is given twice");
        string huge = ServerFixture.Infer("x", "FP32", [10000, 3], "[" + string.Join(",", Enumerable.Repeat("1.0", 30000)) + "]");
        await ExpectError(S.PostAsync(url, huge), 413, "over the limit of 65536 bytes");
        await ExpectError(S.PostAsync("/v2/models/nope/infer", ServerFixture.Infer("x", "FP32", [1, 3], "[1, 2, 3]")), 404, "no model 'nope'");
        await ExpectError(S.PostAsync("/v2/models/gemm/versions/9/infer", ServerFixture.Infer("x", "FP32", [1, 3], "[1, 2, 3]")), 404, "model 'gemm' has no version '9'");
        await ExpectError(S.PostAsync("/v2/models/broken/infer", ServerFixture.Infer("x", "FP32", [1, 3], "[1, 2, 3]")), 503, "model 'broken' is unavailable", "broken", "model.onnx");

        // NaN where the config allows it: accepted, and NaN comes back as the string "NaN".
        var (nanStatus, nanBody) = await S.PostAsync("/v2/models/nanok/infer", ServerFixture.Infer("x", "FP32", [1, 3], "[1, \"NaN\", 3]"));
        Assert.AreEqual(200, nanStatus, nanBody.ToString());
        Assert.AreEqual("NaN", nanBody.GetProperty("outputs")[0].GetProperty("data")[0].GetString());

        var (ok, okBody) = await S.PostAsync(url, ServerFixture.Infer("x", "FP32", [2, 3], "[1, 1, 1, -1, 0, 2]"));
        Assert.AreEqual(200, ok, okBody.ToString());
        CollectionAssert.AreEqual(TestModels.Expected(X), Floats(okBody.GetProperty("outputs")[0].GetProperty("data")));
    }

    [TestMethod]
    public async Task RepositoryIndexListsStates()
    {
        var (status, b) = await S.PostAsync("/v2/repository/index", "");
        Assert.AreEqual(200, status);
        var rows = b.EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        CollectionAssert.AreEquivalent(new[] { "broken", "gemm", "mixed", "nanok" }, rows.Keys.ToArray());
        Assert.AreEqual("READY", rows["gemm"].GetProperty("state").GetString());
        Assert.AreEqual("1", rows["gemm"].GetProperty("version").GetString());
        Assert.AreEqual("UNAVAILABLE", rows["broken"].GetProperty("state").GetString());
        StringAssert.Contains(rows["broken"].GetProperty("reason").GetString(), "model.onnx");
        var (_, readyOnly) = await S.PostAsync("/v2/repository/index", "{\"ready\": true}");
        Assert.IsFalse(readyOnly.EnumerateArray().Any(r => r.GetProperty("name").GetString() == "broken"));
        await ExpectError(S.PostAsync("/v2/repository/index", "{oops"), 400, "malformed JSON");
    }

    [TestMethod]
    public async Task ClassifyRowsFromJsonAndCsv()
    {
        // Outputs: row 0 → [6.5, -0.5] → "first"; row 1 → [-1+0+6+0.5, 1+0+2-0.5] = [5.5, 2.5] → "first";
        // row 2 = [0, 0, 1] → [3.5, 0.5] → "first"; row 3 = [-1, -1, 0] → [-2.5, 0.5] → "second".
        var (status, b) = await S.PostAsync("/v2/models/gemm/classify", "{\"rows\": [[1, 1, 1], [-1, 0, 2], [0, 0, 1], [-1, -1, 0]]}");
        Assert.AreEqual(200, status, b.ToString());
        var preds = b.GetProperty("predictions").EnumerateArray().ToArray();
        CollectionAssert.AreEqual(new[] { "first", "first", "first", "second" }, preds.Select(p => p.GetProperty("label").GetString()).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 1 }, preds.Select(p => p.GetProperty("index").GetInt32()).ToArray());
        // softmax of [-2.5, 0.5] at index 1 = 1 / (1 + e^-3)
        Assert.AreEqual(1 / (1 + Math.Exp(-3)), preds[3].GetProperty("probability").GetDouble(), 1e-6);
        Assert.AreEqual(1 / (1 + Math.Exp(-7)), preds[0].GetProperty("probability").GetDouble(), 1e-6);

        var (csv, cb) = await S.PostAsync("/v2/models/gemm/classify", "1,1,1\n-1,-1,0\n", "text/csv");
        Assert.AreEqual(200, csv, cb.ToString());
        CollectionAssert.AreEqual(new[] { "first", "second" }, cb.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("label").GetString()).ToArray());
        await ExpectError(S.PostAsync("/v2/models/gemm/classify", "[[1, 2]]"), 400, "row 0 has 2 values", "needs 3 per row");
        await ExpectError(S.PostAsync("/v2/models/gemm/classify", "1,x,3", "text/csv"), 400, "CSV line 1, column 2: 'x' is not a number");
        await ExpectError(S.PostAsync("/v2/models/mixed/classify", "[[1, 2]]"), 400, "classify needs one FP32/FP64 input");
    }

    [TestMethod]
    public async Task MetricsCountRequestsLatencyBatchesAndQueues()
    {
        for (int i = 0; i < 3; i++)
            Assert.AreEqual(200, (await S.PostAsync("/v2/models/gemm/infer", ServerFixture.Infer("x", "FP32", [1, 3], "[1, 2, 3]"))).Status);
        await S.PostAsync("/v2/models/gemm/infer", ServerFixture.Infer("x", "FP32", [1, 4], "[1, 2, 3, 4]"));
        using var r = await S.Http.GetAsync("/metrics");
        Assert.AreEqual(HttpStatusCode.OK, r.StatusCode);
        StringAssert.StartsWith(r.Content.Headers.ContentType!.ToString(), "text/plain");
        string text = await r.Content.ReadAsStringAsync();
        long Count(string series)
        {
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
            Assert.IsNotNull(line, $"no series {series} in\n{text}");
            return long.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        }
        Assert.IsTrue(Count("onnxkit_requests_total{model=\"gemm\",endpoint=\"infer\",status=\"200\"}") >= 3);
        Assert.IsTrue(Count("onnxkit_requests_total{model=\"gemm\",endpoint=\"infer\",status=\"400\"}") >= 1);
        Assert.IsTrue(Count("onnxkit_request_duration_seconds_count{model=\"gemm\"}") >= 4);
        Assert.IsTrue(Count("onnxkit_batch_size_count{model=\"gemm\"}") >= 3);
        Assert.AreEqual(0, Count("onnxkit_queue_depth{model=\"gemm\",version=\"1\"}"));
        Assert.AreEqual(0, Count("onnxkit_model_ready{model=\"broken\",version=\"1\"}"));
        Assert.AreEqual(1, Count("onnxkit_model_ready{model=\"gemm\",version=\"1\"}"));
        StringAssert.Contains(text, "# TYPE onnxkit_request_duration_seconds histogram");
        StringAssert.Contains(text, "onnxkit_request_duration_seconds_bucket{model=\"gemm\",le=\"+Inf\"}");
    }
}
