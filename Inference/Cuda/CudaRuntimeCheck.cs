using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace OnnxKit.Cuda;

/// <summary>
/// Whether ONNX Runtime's CUDA provider can run here, checked piece by piece so the answer names what is missing:
/// the GPU build of ONNX Runtime, the NVIDIA driver, the CUDA 13 and cuDNN 9 libraries its CUDA provider links
/// against, and the device. One copy of this file is compiled into both the Trainer and Inference (which share
/// no assembly), so training and serving give the same message.
/// </summary>
internal static class CudaRuntimeCheck
{
    /// <summary>What ONNX Runtime's CUDA build (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0) needs.</summary>
    public const string Requirement = "CUDA 13 and cuDNN 9";

    /// <summary>How to check the libraries on a machine.</summary>
    public const string HowToCheck = "check with 'nvidia-smi' and 'ldconfig -p | grep -E \"libcudart.so.13|libcudnn.so.9\"'";

    // The libraries libonnxruntime_providers_cuda.so needs (its DT_NEEDED entries, plus cuDNN, which it opens itself),
    // with what each one is part of.
    private static readonly (string Library, string PartOf)[] Libraries =
    [
        ("libcuda.so.1", "the NVIDIA driver"),
        ("libcudart.so.13", "the CUDA 13 runtime"),
        ("libcublas.so.13", "CUDA 13's cuBLAS"),
        ("libcublasLt.so.13", "CUDA 13's cuBLASLt"),
        ("libcurand.so.10", "CUDA 13's cuRAND"),
        ("libcudnn.so.9", "cuDNN 9"),
    ];

    /// <summary>True when the loaded ONNX Runtime is a build with the CUDA provider (the GPU package).</summary>
    public static bool GpuBuild => OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");

    /// <summary>
    /// Null when CUDA device <paramref name="deviceId"/> looks usable; otherwise one sentence naming the missing piece
    /// and the fix, ending with how to fall back (<paramref name="cpuAlternative"/>, e.g. "or use --device cpu").
    /// </summary>
    public static string? Problem(int deviceId, string cpuAlternative)
    {
        if (!GpuBuild)
            return "this build carries ONNX Runtime's CPU package, which has no CUDA provider; build with -p:OnnxKitGpu=true " +
                   $"(Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0, needs {Requirement}), {cpuAlternative}";
        if (!OperatingSystem.IsLinux()) return null;   // the GPU flavour is Linux-only; elsewhere ORT's own error stands
        foreach (var (library, partOf) in Libraries)
        {
            if (!NativeLibrary.TryLoad(library, out var handle))
                return $"{library} ({partOf}) was not found on the library path; ONNX Runtime's CUDA provider needs {Requirement} " +
                       $"({HowToCheck}), {cpuAlternative}";
            NativeLibrary.Free(handle);
        }
        int err = DeviceCount(out int count);
        if (err != 0) return $"the CUDA 13 runtime reports error {err} listing GPUs (driver too old for CUDA 13, or no GPU visible: {HowToCheck}), {cpuAlternative}";
        return DeviceOutOfRange(deviceId, count, cpuAlternative);
    }

    /// <summary>Null when <paramref name="deviceId"/> is one of <paramref name="count"/> visible GPUs; otherwise which ordinals exist.</summary>
    public static string? DeviceOutOfRange(int deviceId, int count, string cpuAlternative) =>
        deviceId >= 0 && deviceId < count ? null
        : $"CUDA device {deviceId} does not exist: {count} GPU(s) visible" + (count > 0 ? $" (cuda:0 to cuda:{count - 1})" : "") +
          $" ({HowToCheck}), {cpuAlternative}";

    [DllImport("libcudart.so.13", EntryPoint = "cudaGetDeviceCount")]
    private static extern int DeviceCount(out int count);

    /// <summary>Parses <c>cuda</c> / <c>cuda:N</c> (N decimal digits only, as PyTorch spells it) into the device ordinal; null for anything else.</summary>
    public static int? ParseDevice(string device)
    {
        if (device.Equals("cuda", StringComparison.OrdinalIgnoreCase)) return 0;
        if (device.StartsWith("cuda:", StringComparison.OrdinalIgnoreCase) && int.TryParse(device.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id)) return id;
        return null;
    }
}
