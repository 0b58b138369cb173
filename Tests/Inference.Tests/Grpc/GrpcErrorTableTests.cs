using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// Every bad-input class REST answers with a 4xx/503 sent both ways, to one server: the HTTP status and the gRPC status
/// must be the pair the protocol maps (400 InvalidArgument, 401 Unauthenticated, 404 NotFound, 409 FailedPrecondition,
/// 413 ResourceExhausted, 503 Unavailable) and both messages must name the problem.
/// </summary>
[TestClass]
public sealed class GrpcErrorTableTests
{
    private static ServerFixture S = null!;
    private static GrpcClient G = null!;
    private const string Key = "s3cret";

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        repo.AddVersion("broken", 1, TestModels.Corrupt);
        S = await ServerFixture.StartAsync(repo, o => o.ApiKey = Key);
        S.Http.DefaultRequestHeaders.Add("X-API-Key", Key);
        G = new GrpcClient(S, Key);
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        G.Dispose();
        await S.DisposeAsync();
    }

    /// <summary>One bad request: an input as both protocols write it, and the answer expected from each.</summary>
    private sealed record Case(string Model, string? Version, string Input, string Datatype, long[] Shape, double[] Values, int Http, StatusCode Code, string Fragment, bool Twice = false);

    private static readonly Case[] Table =
    [
        new("gemm", null, "input", "FP32", [1, 3], [1, 2, 3], 400, StatusCode.InvalidArgument, "model 'gemm' has no input 'input'"),
        new("gemm", null, "x", "INT64", [1, 3], [1, 2, 3], 400, StatusCode.InvalidArgument, "datatype INT64 does not match the model, which expects FP32"),
        new("gemm", null, "x", "FP99", [1, 3], [1, 2, 3], 400, StatusCode.InvalidArgument, "unknown datatype 'FP99'"),
        new("gemm", null, "x", "FP32", [1, 4], [1, 2, 3, 4], 400, StatusCode.InvalidArgument, "input 'x' dimension 1 must be 3"),
        new("gemm", null, "x", "FP32", [3], [1, 2, 3], 400, StatusCode.InvalidArgument, "input 'x' must have rank 2"),
        new("gemm", null, "x", "FP32", [2, 3], [1, 2, 3, 4, 5], 400, StatusCode.InvalidArgument, "input 'x': shape [2, 3] needs 6 values"),
        new("gemm", null, "x", "FP32", [1, -3], [1, 2, 3], 400, StatusCode.InvalidArgument, "shape entries must be non-negative integers"),
        new("gemm", null, "x", "FP32", [1, 3], [1, double.NaN, 3], 400, StatusCode.InvalidArgument, "input 'x': element 1 is NaN"),
        new("gemm", null, "x", "FP32", [1, 3], [1, 2, 3], 400, StatusCode.InvalidArgument, "input 'x' is given twice", Twice: true),
        new("nope", null, "x", "FP32", [1, 3], [1, 2, 3], 404, StatusCode.NotFound, "no model 'nope'"),
        new("gemm", "9", "x", "FP32", [1, 3], [1, 2, 3], 404, StatusCode.NotFound, "model 'gemm' has no version '9'"),
        new("broken", null, "x", "FP32", [1, 3], [1, 2, 3], 503, StatusCode.Unavailable, "model 'broken' is unavailable"),
        new("gemm", null, "x", "FP32", [10000, 3], Enumerable.Repeat(1.0, 30000).ToArray(), 413, StatusCode.ResourceExhausted, ""),
    ];

    private static string Json(Case c)
    {
        string data = "[" + string.Join(", ", c.Values.Select(v => double.IsNaN(v) ? "\"NaN\"" : v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        string input = $"{{\"name\": \"{c.Input}\", \"datatype\": \"{c.Datatype}\", \"shape\": [{string.Join(",", c.Shape)}], \"data\": {data}}}";
        return $"{{\"inputs\": [{input}{(c.Twice ? ", " + input : "")}]}}";
    }

    private static ModelInferRequest Grpc(Case c)
    {
        var r = GrpcClient.Typed(c.Model, c.Input, c.Shape, c.Values.Select(v => (float)v).ToArray(), c.Datatype);
        r.ModelVersion = c.Version ?? "";
        if (c.Twice) r.Inputs.Add(r.Inputs[0].Clone());
        return r;
    }

    [TestMethod]
    public async Task EachBadInputGetsTheMatchingHttpAndGrpcStatus()
    {
        foreach (var c in Table)
        {
            string label = $"{c.Fragment} ({c.Http})";
            string path = c.Version is null ? $"/v2/models/{c.Model}/infer" : $"/v2/models/{c.Model}/versions/{c.Version}/infer";
            var (status, body) = await S.PostAsync(path, Json(c));
            Assert.AreEqual(c.Http, status, $"REST {label}: {body}");
            if (c.Http != 413) StringAssert.Contains(body.GetProperty("error").GetString(), c.Fragment, label);
            var e = Assert.ThrowsExactly<RpcException>(() => G.Infer(Grpc(c)), label);
            Assert.AreEqual(c.Code, e.StatusCode, $"gRPC {label}: {e.Status.Detail}");
            StringAssert.Contains(e.Status.Detail, c.Fragment, label);
        }
        // After all of that the server still serves both ways.
        CollectionAssert.AreEqual(TestModels.Expected([1, 0, 0]), G.Infer(GrpcClient.Typed("gemm", "x", [1, 3], [1, 0, 0])).Outputs[0].Contents.Fp32Contents.ToArray());
    }

    [TestMethod]
    public void GrpcOnlyFormsOfTheSameMistakesAreInvalidArgument()
    {
        // raw_input_contents: the analogue of binary_data_size not matching the shape.
        GrpcClient.Fails(() => G.Infer(GrpcClient.Raw("gemm", "x", [2, 3], new byte[20])), StatusCode.InvalidArgument, "needs 6 elements (24 bytes of FP32), raw_input_contents has 20 bytes");
        var extraRaw = GrpcClient.Raw("gemm", "x", [1, 3], GrpcClient.Bytes([1, 2, 3]));
        extraRaw.RawInputContents.Add(ByteString.CopyFrom(new byte[12]));
        GrpcClient.Fails(() => G.Infer(extraRaw), StatusCode.InvalidArgument, "raw_input_contents has 2 entries but the request has 1 inputs");
        var both = GrpcClient.Typed("gemm", "x", [1, 3], [1, 2, 3]);
        both.RawInputContents.Add(ByteString.CopyFrom(GrpcClient.Bytes([1, 2, 3])));
        GrpcClient.Fails(() => G.Infer(both), StatusCode.InvalidArgument, "input 'x' has contents although the request carries raw_input_contents");
        var none = GrpcClient.Typed("gemm", "x", [1, 3], []);
        none.Inputs[0].Contents = null;
        GrpcClient.Fails(() => G.Infer(none), StatusCode.InvalidArgument, "input 'x' has no contents");
        GrpcClient.Fails(() => G.Infer(GrpcClient.Typed("", "x", [1, 3], [1, 2, 3])), StatusCode.InvalidArgument, "names no model");
        var badOutput = GrpcClient.Typed("gemm", "x", [1, 3], [1, 2, 3]);
        badOutput.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "zzz" });
        GrpcClient.Fails(() => G.Infer(badOutput), StatusCode.InvalidArgument, "model 'gemm' has no output 'zzz'");
        var wrongField = GrpcClient.Typed("gemm", "x", [1, 3], []);
        wrongField.Inputs[0].Contents.Int64Contents.AddRange([1, 2, 3]);
        GrpcClient.Fails(() => G.Infer(wrongField), StatusCode.InvalidArgument, "needs 3 values, fp32_contents has 0");
    }

    [TestMethod]
    public async Task ApiKeyAndModelControlRefusalsMatch()
    {
        using var noKey = new GrpcClient(S);
        GrpcClient.Fails(() => noKey.Infer(GrpcClient.Typed("gemm", "x", [1, 3], [1, 2, 3])), StatusCode.Unauthenticated, "missing or wrong API key");
        GrpcClient.Fails(() => noKey.Service.ModelMetadata(new ModelMetadataRequest { Name = "gemm" }), StatusCode.Unauthenticated, "API key");
        Assert.IsTrue(noKey.Service.ServerLive(new ServerLiveRequest()).Live, "health stays open, as REST's");
        using (var http = new HttpClient { BaseAddress = S.Host.BaseAddress })
        using (var r = await http.PostAsync("/v2/models/gemm/infer", new StringContent("{}")))
            Assert.AreEqual(401, (int)r.StatusCode);

        // Model control is 'none' here: load/unload are refused both ways.
        var (status, body) = await S.PostAsync("/v2/repository/models/gemm/unload", "");
        Assert.AreEqual(409, status, body.ToString());
        StringAssert.Contains(body.GetProperty("error").GetString(), "--model-control explicit");
        GrpcClient.Fails(() => G.Service.RepositoryModelUnload(new RepositoryModelUnloadRequest { ModelName = "gemm" }, G.Headers), StatusCode.FailedPrecondition, "--model-control explicit");
        Assert.AreEqual(ModelState.Ready, S.Host.Repository.Find("gemm")!.DefaultVersion?.State, "a refused unload unloads nothing");
    }
}
