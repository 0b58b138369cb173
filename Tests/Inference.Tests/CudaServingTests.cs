using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;

namespace OnnxKit.Tests.Inference;

/// <summary>A served model whose config asks for CUDA where CUDA cannot run: that model is UNAVAILABLE with the reason, the others serve.</summary>
[TestClass]
public sealed class CudaServingTests
{
    [TestMethod]
    public void AModelAskingForCudaIsUnavailableWithTheReasonAndTheOthersServe()
    {
        using var t = new TempRepository();
        t.AddVersion("on-cpu", 1, TestModels.Gemm());
        t.AddVersion("on-gpu", 1, TestModels.Gemm());
        t.WriteConfig("on-gpu", "{\"execution_provider\": \"cuda\"}");
        using var repo = new ModelRepository(t.Root, new ModelRepositoryOptions { Watch = false, RescanInterval = TimeSpan.Zero });
        repo.Start();

        var gpu = repo.Index().Single(s => s.Name == "on-gpu");
        Assert.AreEqual(ModelState.Unavailable, gpu.State);
        StringAssert.Contains(gpu.Reason, "CUDA execution provider (device 0) cannot run");
        StringAssert.Contains(gpu.Reason, "CUDA 13 and cuDNN 9");
        bool gpuBuild = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
        StringAssert.Contains(gpu.Reason, gpuBuild ? "libcuda.so.1 (the NVIDIA driver)" : "-p:OnnxKitGpu=true");
        var e = Assert.ThrowsExactly<ModelUnavailableException>(() => repo.Acquire("on-gpu"));
        StringAssert.Contains(e.Message, "CUDA 13");

        Assert.AreEqual(ModelState.Ready, repo.Index().Single(s => s.Name == "on-cpu").State);
        using var lease = repo.Acquire("on-cpu");
        float[] x = [1, 2, 3, -1, 0.5f, 4];
        CollectionAssert.AreEqual(TestModels.Expected(x), lease.Predictor.Predict(TensorValue.FromFloats(x, 2, 3)).Floats("y"));
    }
}
