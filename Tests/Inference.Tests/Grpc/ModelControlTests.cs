using Grpc.Core;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Tests.Inference;

/// <summary>Explicit model control (as Triton's): nothing loads until asked; load and unload over REST and gRPC.</summary>
[TestClass]
public sealed class ModelControlTests
{
    [TestMethod]
    public async Task ExplicitControlLoadsOnlyWhatIsAskedOverRestAndGrpc()
    {
        using var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        repo.AddVersion("twice", 1, TestModels.Gemm(2));
        repo.AddVersion("broken", 1, TestModels.Corrupt);
        await using var s = await ServerFixture.StartAsync(repo, o => { o.ModelControl = ModelControlMode.Explicit; o.StartupModels.Add("twice"); });
        using var g = new GrpcClient(s);
        var request = GrpcClient.Typed("gemm", "x", [1, 3], [1, 0, 0]);

        // At start: only the startup model; the others are listed as not loaded and refuse requests as unavailable.
        var index = g.Service.RepositoryIndex(new RepositoryIndexRequest()).Models.ToDictionary(m => m.Name);
        Assert.AreEqual("READY", index["twice"].State);
        Assert.AreEqual("UNAVAILABLE", index["gemm"].State);
        StringAssert.Contains(index["gemm"].Reason, "not loaded");
        GrpcClient.Fails(() => g.Infer(request), StatusCode.Unavailable, "model 'gemm' is unavailable", "not loaded");
        var (before, _) = await s.PostAsync("/v2/models/gemm/infer", ServerFixture.Infer("x", "FP32", [1, 3], "[1, 0, 0]"));
        Assert.AreEqual(503, before);
        CollectionAssert.AreEqual(TestModels.Expected([1, 0, 0], 2), g.Infer(GrpcClient.Typed("twice", "x", [1, 3], [1, 0, 0])).Outputs[0].Contents.Fp32Contents.ToArray());

        // Load over gRPC: served.
        g.Service.RepositoryModelLoad(new RepositoryModelLoadRequest { ModelName = "gemm" });
        Assert.IsTrue(g.Service.ModelReady(new ModelReadyRequest { Name = "gemm" }).Ready);
        CollectionAssert.AreEqual(TestModels.Expected([1, 0, 0]), g.Infer(request).Outputs[0].Contents.Fp32Contents.ToArray());

        // Unload over REST: unavailable again, both ways; the rescan does not bring it back.
        var (unloaded, ub) = await s.PostAsync("/v2/repository/models/gemm/unload", "");
        Assert.AreEqual(200, unloaded, ub.ToString());
        s.Host.Repository.Rescan();
        Assert.IsFalse(g.Service.ModelReady(new ModelReadyRequest { Name = "gemm" }).Ready);
        GrpcClient.Fails(() => g.Infer(request), StatusCode.Unavailable, "not loaded");
        var (ready, _) = await s.GetAsync("/v2/models/gemm/ready");
        Assert.AreEqual(503, ready);

        // Load over REST brings it back.
        var (loaded, lb) = await s.PostAsync("/v2/repository/models/gemm/load", "");
        Assert.AreEqual(200, loaded, lb.ToString());
        CollectionAssert.AreEqual(TestModels.Expected([1, 0, 0]), g.Infer(request).Outputs[0].Contents.Fp32Contents.ToArray());

        // A model that cannot load, and one that does not exist, answer the same class both ways.
        var (badLoad, bb) = await s.PostAsync("/v2/repository/models/broken/load", "");
        Assert.AreEqual(503, badLoad, bb.ToString());
        StringAssert.Contains(bb.GetProperty("error").GetString(), "model.onnx");
        GrpcClient.Fails(() => g.Service.RepositoryModelLoad(new RepositoryModelLoadRequest { ModelName = "broken" }), StatusCode.Unavailable, "model.onnx");
        var (missing, _) = await s.PostAsync("/v2/repository/models/nope/load", "");
        Assert.AreEqual(404, missing);
        GrpcClient.Fails(() => g.Service.RepositoryModelLoad(new RepositoryModelLoadRequest { ModelName = "nope" }), StatusCode.NotFound, "no model 'nope'");
        GrpcClient.Fails(() => g.Service.RepositoryModelUnload(new RepositoryModelUnloadRequest { ModelName = "../gemm" }), StatusCode.NotFound, "no model '../gemm'");
    }

    [TestMethod]
    public void ServerOptionsParseModelControlAndGrpcPort()
    {
        var o = OnnxKit.Server.ServerOptions.Parse(["repo", "--model-control", "explicit", "--load-model", "a", "--load-model", "b", "--grpc-port", "9001"]);
        Assert.AreEqual(ModelControlMode.Explicit, o.ModelControl);
        CollectionAssert.AreEqual(new[] { "a", "b" }, o.StartupModels);
        Assert.AreEqual(9001, o.GrpcPort);
        Assert.IsNull(OnnxKit.Server.ServerOptions.Parse(["--grpc-port", "none"]).GrpcPort);
        Assert.AreEqual(8001, OnnxKit.Server.ServerOptions.Parse([]).GrpcPort);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => OnnxKit.Server.ServerOptions.Parse(["--model-control", "poll"])).Message, "none or explicit, got 'poll'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => OnnxKit.Server.ServerOptions.Parse(["--load-model", "a"])).Message, "needs --model-control explicit");
    }
}
