using System.Text.RegularExpressions;
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
        string stderr = TrainRefuses("cuda");
        StringAssert.StartsWith(stderr, "onnxkit: --device cuda: " + MissingPiece);
        StringAssert.Contains(stderr, "CUDA 13 and cuDNN 9");
        StringAssert.Contains(stderr, "or use --device cpu");
    }

    // `train --device DEVICE` on a dataset that does not exist: the device error must come first (exit 2, one line), so
    // the data is never read and no output folder is made. Returns what it printed.
    private static string TrainRefuses(string device)
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"onnxkit-cuda-{Guid.NewGuid():N}");
        var (code, stdout, stderr) = OnnxkitCli.Run(["train", "--device", device, "--dataset", "no/such/data.csv", "--out", outDir], 120);
        Assert.AreEqual(2, code, stdout + stderr);
        Assert.AreEqual(1, stderr.Trim().Split('\n').Length, "one line: " + stderr);
        Assert.IsFalse(Directory.Exists(outDir), "no output folder is created");
        return stderr;
    }

    [TestMethod]
    public void MalformedDeviceOrdinalsAreUnknownDevicesAndMissingOnesNameTheVisibleRange()
    {
        // Decimal digits only after 'cuda:', as torch.device spells it; a sign, space, fraction or overflow is not an ordinal.
        foreach (var bad in new[] { "cuda:", "cuda:+1", "cuda: 1", "cuda:-1", "cuda:1.0", "cuda:0x1", "cuda:99999999999", "cuda0" })
        {
            Assert.IsNull(OnnxKit.Cuda.CudaRuntimeCheck.ParseDevice(bad), bad);
            StringAssert.StartsWith(new TrainingSessionOptions { Device = bad }.DeviceProblem(), $"unknown device '{bad}': expected 'cpu', 'cuda' or 'cuda:N'");
        }
        Assert.AreEqual(3, OnnxKit.Cuda.CudaRuntimeCheck.ParseDevice("CUDA:3"));
        Assert.AreEqual(0, OnnxKit.Cuda.CudaRuntimeCheck.ParseDevice("cuda"));
        // An ordinal past the GPUs the runtime lists (checked only where the libraries load, so here as the rule alone).
        Assert.IsNull(OnnxKit.Cuda.CudaRuntimeCheck.DeviceOutOfRange(1, 2, "or use --device cpu"));
        string? p = OnnxKit.Cuda.CudaRuntimeCheck.DeviceOutOfRange(2, 2, "or use --device cpu");
        StringAssert.StartsWith(p, "CUDA device 2 does not exist: 2 GPU(s) visible (cuda:0 to cuda:1) (check with 'nvidia-smi'");
        StringAssert.EndsWith(p, "or use --device cpu");
        StringAssert.StartsWith(OnnxKit.Cuda.CudaRuntimeCheck.DeviceOutOfRange(0, 0, "or use --device cpu"), "CUDA device 0 does not exist: 0 GPU(s) visible (check");
    }

    [TestMethod]
    public void TrainWithAMalformedDeviceIsOneLineAndExit2() =>
        StringAssert.StartsWith(TrainRefuses("cuda:one"), "onnxkit: --device cuda:one: unknown device 'cuda:one': expected 'cpu', 'cuda' or 'cuda:N'");

    [TestMethod]
    public void EveryMessageAndDocumentNamesTheSameCudaAndCudnnVersions()
    {
        // The code, docs and deployment files that speak of the GPU build: one CUDA major (13) and one cuDNN major (9).
        string root = Python.RepoRoot;
        var files = new[] { "Trainer", "Inference", "Cli", "deploy", "docs", "bench" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && Path.GetExtension(f) is ".cs" or ".md" or ".sh" or ".yaml" or ".yml" or ".gpu" or "" && !f.EndsWith("RESULTS.md"))
            .Append(Path.Combine(root, "README.md"));
        var versions = new Dictionary<string, HashSet<string>> { ["CUDA"] = [], ["cuDNN"] = [], ["libcudart.so."] = [], ["nvidia/cuda:"] = [] };
        int found = 0;
        foreach (var f in files)
            foreach (Match m in Regex.Matches(File.ReadAllText(f), @"\b(CUDA |cuDNN |libcudart\.so\.|nvidia/cuda:)(\d+)"))
            {
                versions[m.Groups[1].Value.TrimEnd()].Add($"{m.Groups[2].Value} ({Path.GetRelativePath(root, f)})");
                found++;
            }
        Assert.IsTrue(found >= 20, $"only {found} mentions found: the scan is not reading the files");
        foreach (var (what, expected) in new[] { ("CUDA", "13"), ("cuDNN", "9"), ("libcudart.so.", "13"), ("nvidia/cuda:", "13") })
        {
            var other = versions[what].Where(v => !v.StartsWith(expected + " ")).ToArray();
            Assert.AreEqual(0, other.Length, $"{what} versions other than {expected}: {string.Join(", ", other)}");
            Assert.IsTrue(versions[what].Count > 0, $"no mention of {what} found");
        }
    }
}
