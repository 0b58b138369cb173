using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Session;

namespace OnnxKit.Tests.Cuda;

/// <summary>Asking for CUDA where it cannot run: one line naming the missing piece and the fix, before anything is read or written.</summary>
[TestClass]
public sealed class CudaErrorTests
{
    // This machine has no GPU: the CPU build lacks the CUDA provider, the GPU build (-p:OnnxKitGpu=true) lacks the driver.
    private static string MissingPiece => OnnxKit.Cuda.CudaRuntimeCheck.GpuBuild
        ? "libcuda.so.1 (the NVIDIA driver) was not found on the library path"
        : "this build carries ONNX Runtime's CPU package, which has no CUDA provider; build with -p:OnnxKitGpu=true";

    [TestMethod]
    public void TheDeviceProblemNamesWhatIsMissingAndCuda13()
    {
        string? p = new TrainingSessionOptions { Device = "cuda:1" }.DeviceProblem();
        Assert.IsNotNull(p);
        StringAssert.Contains(p, MissingPiece);
        StringAssert.Contains(p, "CUDA 13 and cuDNN 9");
        Assert.IsFalse(p.Contains("CUDA 12"), p);
        StringAssert.EndsWith(p, "or use device 'cpu'");
        Assert.IsNull(new TrainingSessionOptions().DeviceProblem(), "the CPU always runs");
        StringAssert.Contains(new TrainingSessionOptions { Device = "gpu" }.DeviceProblem(), "unknown device 'gpu': expected 'cpu', 'cuda' or 'cuda:N'");
        StringAssert.Contains(new TrainingSessionOptions { Device = "cuda:x" }.DeviceProblem(), "unknown device 'cuda:x'");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new TrainingSessionOptions { Device = "cuda" }.ToSessionOptions());
        StringAssert.Contains(e.Message, "device 'cuda': " + MissingPiece);
    }

    [TestMethod]
    public void TrainOnCudaFailsInOneLineBeforeReadingDataOrMakingTheOutputFolder()
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"onnxkit-cuda-{Guid.NewGuid():N}");
        // A dataset that does not exist: the device error must come first, so the data is never read.
        var (code, stdout, stderr) = OnnxkitCli.Run(["train", "--device", "cuda", "--dataset", "no/such/data.csv", "--out", outDir], 120);
        Assert.AreEqual(2, code, stdout + stderr);
        Assert.AreEqual(1, stderr.Trim().Split('\n').Length, "one line: " + stderr);
        StringAssert.StartsWith(stderr, "onnxkit: --device cuda: " + MissingPiece);
        StringAssert.Contains(stderr, "CUDA 13 and cuDNN 9");
        StringAssert.Contains(stderr, "or use --device cpu");
        Assert.IsFalse(Directory.Exists(outDir), "no output folder is created");
    }
}
