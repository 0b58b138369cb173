using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Server;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// <c>POST /v2/models/{name}/explain</c> in process, with a provider that gives the exact saliency of the test Gemm model
/// (∂y[t]/∂x = W[t], the same for every sample) and records what the server handed it: the endpoint's parsing, routing
/// to the served version's file, answer format and errors. The attribution methods themselves are checked against
/// PyTorch in the Trainer's Explain tests.
/// </summary>
[TestClass]
public sealed class ExplainEndpointTests
{
    private static ServerFixture S = null!, Bare = null!;
    private static readonly GemmSaliency Provider = new();

    /// <summary>Saliency of y = x·Wᵀ + b for target t (default: the larger output of each sample); refuses unknown methods as the real provider does.</summary>
    private sealed class GemmSaliency : IAttributionProvider
    {
        public ConcurrentQueue<(string Path, string Input, long[] Shape, ExplainParameters Parameters)> Calls { get; } = new();

        public ExplainResult Explain(string modelPath, string inputName, float[] batch, long[] shape, ExplainParameters p)
        {
            Calls.Enqueue((modelPath, inputName, shape, p));
            if (p.Method is not ("saliency" or "integrated-gradients")) throw new ArgumentException($"unknown method '{p.Method}'");
            int n = (int)shape[0];
            float scale = Path.GetFileName(Path.GetDirectoryName(modelPath)) == "2" ? 2 : 1;   // version 2 is the model scaled by 2
            var y = TestModels.Expected(batch, scale);
            var targets = Enumerable.Range(0, n).Select(i => p.Target ?? (y[2 * i + 1] > y[2 * i] ? 1 : 0)).ToArray();
            if (targets.Any(t => t is < 0 or > 1)) throw new ArgumentException($"target {p.Target} is outside the model's 2 outputs");
            var values = new float[batch.Length];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 3; j++) values[3 * i + j] = scale * TestModels.W[3 * targets[i] + j];
            return new ExplainResult(values, shape, targets);
        }
    }

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        repo.AddVersion("gemm", 2, TestModels.Gemm(scale: 2));
        repo.AddVersion("mixed", 1, TestModels.Mixed());
        S = await ServerFixture.StartAsync(repo, o => o.Attributions = Provider);
        var bare = new TempRepository();
        bare.AddVersion("gemm", 1, TestModels.Gemm());
        Bare = await ServerFixture.StartAsync(bare);
    }

    [ClassCleanup]
    public static async Task Stop() { await S.DisposeAsync(); await Bare.DisposeAsync(); }

    private static string Request(string parameters = "", string outputs = "") =>
        "{\"id\": \"r1\", \"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [2, 3], \"data\": [1, 1, 1, -1, 0, 2]}]" +
        (parameters.Length > 0 ? ", \"parameters\": {" + parameters + "}" : "") + (outputs.Length > 0 ? ", \"outputs\": [" + outputs + "]" : "") + "}";

    private static async Task ExpectError(ServerFixture s, string path, string body, int status, string fragment)
    {
        var (code, b) = await s.PostAsync(path, body);
        Assert.AreEqual(status, code, b.ToString());
        StringAssert.Contains(b.GetProperty("error").GetString(), fragment);
    }

    [TestMethod]
    public async Task AnswersTheAttributionsOfEachSampleAsAnFp32TensorOfTheInputsShape()
    {
        var (status, body) = await S.PostAsync("/v2/models/gemm/versions/2/explain", Request("\"method\": \"saliency\""));
        Assert.AreEqual(200, status, body.ToString());
        Assert.AreEqual("r1", body.GetProperty("id").GetString());
        Assert.AreEqual("2", body.GetProperty("model_version").GetString());
        // Version 2 is the Gemm scaled by 2. Sample 0: y = 2·(6.5, −0.5) → target 0, ∂y0/∂x = 2·W[0] = (2, 4, 6);
        // sample 1: y = 2·(5.5, 2.5) → target 0 as well.
        CollectionAssert.AreEqual(new[] { 0, 0 }, body.GetProperty("parameters").GetProperty("targets").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.AreEqual("saliency", body.GetProperty("parameters").GetProperty("method").GetString());
        var output = body.GetProperty("outputs")[0];
        Assert.AreEqual("attributions", output.GetProperty("name").GetString());
        Assert.AreEqual("FP32", output.GetProperty("datatype").GetString());
        CollectionAssert.AreEqual(new long[] { 2, 3 }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new float[] { 2, 4, 6, 2, 4, 6 }, output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    [TestMethod]
    public async Task ParametersAndTheServedVersionsFileReachTheProvider()
    {
        while (Provider.Calls.TryDequeue(out _)) { }
        var (status, body) = await S.PostAsync("/v2/models/gemm/explain", Request("\"method\": \"integrated-gradients\", \"target\": 1, \"steps\": 16, \"baseline\": \"blur\", \"rule\": \"riemann-middle\""));
        Assert.AreEqual(200, status, body.ToString());
        Assert.AreEqual("2", body.GetProperty("model_version").GetString(), "the latest version serves");
        Assert.IsTrue(Provider.Calls.TryDequeue(out var call));
        Assert.AreEqual(Path.Combine("gemm", "2", "model.onnx"), Path.GetRelativePath(S.Repo.Root, call.Path));
        Assert.AreEqual("x", call.Input);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, call.Shape);
        Assert.AreEqual(new ExplainParameters("integrated-gradients", 1, 16, "blur", "riemann-middle"), call.Parameters);
        CollectionAssert.AreEqual(new float[] { -2, 0, 2, -2, 0, 2 }, body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());

        // Without parameters: Integrated Gradients on the predicted class, the provider's defaults for the rest.
        (status, _) = await S.PostAsync("/v2/models/gemm/explain", Request());
        Assert.AreEqual(200, status);
        Assert.IsTrue(Provider.Calls.TryDequeue(out call));
        Assert.AreEqual(new ExplainParameters("integrated-gradients", null, null, null), call.Parameters);
    }

    /// <summary>Posts <paramref name="json"/> (and raw bytes after it when given) and splits a binary-data answer into its JSON header and float32 tail.</summary>
    private static async Task<(JsonElement Header, float[] Tail)> PostForBinary(string json, byte[]? binary = null)
    {
        var jsonBytes = Encoding.UTF8.GetBytes(json);
        using var content = new ByteArrayContent([.. jsonBytes, .. binary ?? []]);
        content.Headers.ContentType = new MediaTypeHeaderValue(binary is null ? "application/json" : "application/octet-stream");
        if (binary is not null) content.Headers.Add("Inference-Header-Content-Length", jsonBytes.Length.ToString(CultureInfo.InvariantCulture));
        using var r = await S.Http.PostAsync("/v2/models/gemm/versions/2/explain", content);
        var bytes = await r.Content.ReadAsByteArrayAsync();
        Assert.AreEqual(200, (int)r.StatusCode, Encoding.UTF8.GetString(bytes));
        Assert.AreEqual("application/octet-stream", r.Content.Headers.ContentType?.MediaType);
        int headerLength = int.Parse(r.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        var tail = new float[(bytes.Length - headerLength) / 4];
        Buffer.BlockCopy(bytes, headerLength, tail, 0, tail.Length * 4);
        return (JsonDocument.Parse(bytes.AsMemory(0, headerLength)).RootElement.Clone(), tail);
    }

    [TestMethod]
    public async Task AnswersBinaryAttributionsWhenAskedAsInferDoes()
    {
        // Version 2 (the Gemm scaled by 2), both samples explained for class 0: 2·W[0] = (2, 4, 6) each.
        var expected = new float[] { 2, 4, 6, 2, 4, 6 };
        foreach (string ask in new[]
        {
            Request("\"method\": \"saliency\", \"binary_data_output\": true"),
            Request("\"method\": \"saliency\"", "{\"name\": \"attributions\", \"parameters\": {\"binary_data\": true}}"),
        })
        {
            var (header, tail) = await PostForBinary(ask);
            Assert.AreEqual("r1", header.GetProperty("id").GetString());
            CollectionAssert.AreEqual(new[] { 0, 0 }, header.GetProperty("parameters").GetProperty("targets").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            var output = header.GetProperty("outputs")[0];
            Assert.AreEqual("attributions", output.GetProperty("name").GetString());
            CollectionAssert.AreEqual(new long[] { 2, 3 }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
            Assert.AreEqual(24, output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
            Assert.IsFalse(output.TryGetProperty("data", out _), "binary output carries no JSON data");
            CollectionAssert.AreEqual(expected, tail);
        }

        // Binary in and out: the input's raw floats after the JSON header.
        var x = new float[] { 1, 1, 1, -1, 0, 2 };
        var raw = new byte[24];
        Buffer.BlockCopy(x, 0, raw, 0, 24);
        var (h, t) = await PostForBinary("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [2, 3], \"parameters\": {\"binary_data_size\": 24}}], " +
            "\"parameters\": {\"method\": \"saliency\", \"binary_data_output\": true}}", raw);
        CollectionAssert.AreEqual(expected, t);
        Assert.AreEqual(24, h.GetProperty("outputs")[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());

        // binary_data false on the output overrides the request-wide switch, as in infer: JSON data.
        var (status, body) = await S.PostAsync("/v2/models/gemm/versions/2/explain",
            Request("\"method\": \"saliency\", \"binary_data_output\": true", "{\"name\": \"attributions\", \"parameters\": {\"binary_data\": false}}"));
        Assert.AreEqual(200, status, body.ToString());
        CollectionAssert.AreEqual(expected, body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    [TestMethod]
    public async Task MistakesAreAnsweredWith4xxNamingWhatIsWrong()
    {
        await ExpectError(S, "/v2/models/gemm/explain", Request("\"method\": \"lime\""), 400, "unknown method 'lime'");
        await ExpectError(S, "/v2/models/gemm/explain", Request("\"target\": 7"), 400, "target 7");
        await ExpectError(S, "/v2/models/gemm/explain", Request("\"target\": \"one\""), 400, "parameter 'target' must be an integer");
        await ExpectError(S, "/v2/models/gemm/explain", Request("\"steps\": 1.5"), 400, "parameter 'steps' must be an integer");
        await ExpectError(S, "/v2/models/gemm/explain", Request("\"method\": 3"), 400, "parameter 'method' must be a string");
        await ExpectError(S, "/v2/models/gemm/explain", Request("\"rule\": 2"), 400, "parameter 'rule' must be a string");
        await ExpectError(S, "/v2/models/nope/explain", Request(), 404, "nope");
        await ExpectError(S, "/v2/models/gemm/explain", Request(outputs: "{\"name\": \"y\"}"), 400, "no output 'y' here; this endpoint answers: attributions");
        await ExpectError(S, "/v2/models/gemm/explain", "{\"inputs\": [", 400, "JSON");
        await ExpectError(S, "/v2/models/gemm/explain",
            "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 4], \"data\": [1, 2, 3, 4]}]}", 400, "input 'x' dimension 1 must be 3");
        await ExpectError(S, "/v2/models/mixed/explain",
            "{\"inputs\": [{\"name\": \"a\", \"datatype\": \"INT64\", \"shape\": [1, 2], \"data\": [1, 2]}, {\"name\": \"flag\", \"datatype\": \"BOOL\", \"shape\": [1, 2], \"data\": [true, false]}, " +
            "{\"name\": \"d\", \"datatype\": \"FP64\", \"shape\": [1, 2], \"data\": [1, 2]}, {\"name\": \"k\", \"datatype\": \"INT32\", \"shape\": [1], \"data\": [1]}]}", 400, "exactly one input");
        // A server started without a provider (the server-only image) says so instead of failing.
        await ExpectError(Bare, "/v2/models/gemm/explain", Request(), 404, "without an attribution provider");
    }
}
