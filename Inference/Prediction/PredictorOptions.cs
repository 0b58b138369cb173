using Microsoft.ML.OnnxRuntime;
using OnnxKit.Cuda;

namespace OnnxKit.Inference;

/// <summary>Where a <see cref="Predictor"/> runs its model.</summary>
public enum ExecutionProvider
{
    /// <summary>ONNX Runtime's CPU provider (always available).</summary>
    Cpu,
    /// <summary>NVIDIA CUDA (needs the GPU build, <c>-p:OnnxKitGpu=true</c>, with CUDA 13 and cuDNN 9).</summary>
    Cuda,
}

/// <summary>Session settings for a <see cref="Predictor"/>.</summary>
public sealed class PredictorOptions
{
    /// <summary>Execution provider; CPU by default.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;
    /// <summary>GPU ordinal for <see cref="ExecutionProvider.Cuda"/>.</summary>
    public int DeviceId { get; set; }
    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; set; }
    /// <summary>Threads used across independent operators; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; set; }
    /// <summary>Graph optimisation level; all optimisations by default.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin while waiting for work (its default). Spinning shortens one
    /// call's latency when calls come back to back from one thread, but when many requests call <c>Run</c> at once
    /// (a server) the spinning threads burn the cores the requests need; servers turn it off.
    /// </summary>
    public bool AllowSpinning { get; set; } = true;
    /// <summary>Run the model once on zeros after loading, so the first real request does not pay for lazy initialisation.</summary>
    public bool WarmUp { get; set; }
    /// <summary>The name used for the model in error messages (defaults to the file name or "model").</summary>
    public string? Name { get; set; }
    /// <summary>
    /// The least severe ONNX Runtime log message of this session written to stderr (warnings by default). The reason
    /// a load fails is in the exception either way; raising it keeps a process that loads many files quiet.
    /// </summary>
    public OrtLoggingLevel LogLevel { get; set; } = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;

    /// <summary>Builds ORT session options; throws <see cref="InvalidOperationException"/> naming what is missing when CUDA cannot be enabled.</summary>
    internal SessionOptions ToSessionOptions(string what)
    {
        var o = new SessionOptions { GraphOptimizationLevel = OptimizationLevel, LogSeverityLevel = LogLevel };
        try
        {
            if (IntraOpThreads > 0) o.IntraOpNumThreads = IntraOpThreads;
            if (InterOpThreads > 0) o.InterOpNumThreads = InterOpThreads;
            if (!AllowSpinning)
            {
                o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                o.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
            }
            if (ExecutionProvider == ExecutionProvider.Cuda) AppendCuda(o, what);
            return o;
        }
        catch { o.Dispose(); throw; }
    }

    private void AppendCuda(SessionOptions o, string what)
    {
        if (CudaRuntimeCheck.Problem(DeviceId, "or use ExecutionProvider.Cpu") is { } problem)
            throw new InvalidOperationException($"{what}: the CUDA execution provider (device {DeviceId}) cannot run: {problem}");
        try { o.AppendExecutionProvider_CUDA(DeviceId); }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            throw new InvalidOperationException(
                $"{what}: the CUDA execution provider (device {DeviceId}) could not be enabled: {e.Message.Trim()} " +
                $"It needs {CudaRuntimeCheck.Requirement} ({CudaRuntimeCheck.HowToCheck}); or use ExecutionProvider.Cpu.", e);
        }
    }
}
