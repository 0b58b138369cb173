using OnnxKit.IR;
using OnnxKit.Training.Session.Cuda;

namespace OnnxKit.Cli.Commands;

/// <summary>The <c>inspect --provider cuda</c> section: every node that would run on the CPU under ONNX Runtime's CUDA provider.</summary>
internal static class CudaFallbackReport
{
    public static void Write(OnnxModel model, TextWriter output)
    {
        var fallbacks = CudaCoverage.Fallbacks(model);
        output.WriteLine($"cuda      ONNX Runtime {CudaKernelTable.RuntimeVersion} CUDA kernels; nodes without one run on the CPU, with copies around them:");
        foreach (var f in fallbacks) output.WriteLine($"  fallback {f}");
        output.WriteLine($"cuda fallbacks: {fallbacks.Count}");
    }
}
