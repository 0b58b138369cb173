using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Cuda;

/// <summary><c>onnxkit inspect FILE --provider cuda</c> as a real process: each CPU fallback listed, then the count.</summary>
[TestClass]
public sealed class CudaInspectCliTests
{
    [TestMethod]
    public void InspectListsCudaFallbacksAndEndsWithTheirCount()
    {
        var a = CudaCoverageTests.Artifacts("mlp");
        string dir = Directory.CreateTempSubdirectory("inspect_cuda").FullName;
        try
        {
            a.Save(dir);
            var (code, stdout, stderr) = OnnxkitCli.Run(["inspect", Path.Combine(dir, a.Manifest.TrainStep), "--provider", "cuda"], 120);
            Assert.AreEqual(0, code, stderr);
            var lines = stdout.TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToArray();
            Assert.AreEqual("cuda fallbacks: 1", lines[^1]);
            StringAssert.Contains(lines[^2], "fallback SoftmaxCrossEntropyLoss node");
            StringAssert.Contains(lines[^2], "ai.onnx SoftmaxCrossEntropyLoss opset 17");

            string inference = Path.Combine(dir, "inference.onnx");
            a.Inference.Save(inference);
            (code, stdout, stderr) = OnnxkitCli.Run(["inspect", inference, "--provider", "cuda"], 120);
            Assert.AreEqual(0, code, stderr);
            StringAssert.EndsWith(stdout.TrimEnd(), "cuda fallbacks: 0");

            (code, _, stderr) = OnnxkitCli.Run(["inspect", inference, "--provider", "tpu"], 120);
            Assert.AreEqual(2, code);
            StringAssert.Contains(stderr, "--provider must be 'cuda'");
        }
        finally { Directory.Delete(dir, true); }
    }
}
