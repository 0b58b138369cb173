using Microsoft.ML.OnnxRuntime;

namespace OnnxKit.Training.Session;

/// <summary>Execution settings of a <see cref="TrainingSession"/>.</summary>
public sealed record TrainingSessionOptions
{
    /// <summary>Threads for one operator (default: the machine's processor count).</summary>
    public int IntraOpThreads { get; init; } = Environment.ProcessorCount;
    /// <summary>ORT graph optimisation level (default: all).</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
    /// <summary>Where ORT saves the optimised train-step model (a cache that later sessions can load); null: none.</summary>
    public string? OptimizedModelPath { get; init; }
    /// <summary>Let idle ORT worker threads spin briefly between steps (faster small steps, more CPU use).</summary>
    public bool AllowSpinning { get; init; } = true;
    /// <summary><c>cpu</c> (default) or <c>cuda</c> / <c>cuda:N</c> (needs the Microsoft.ML.OnnxRuntime.Gpu package and a device).</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>
    /// On the CPU, run eligible 2-D convolutions (float, one group, channel counts that fit the runtime's blocks) on
    /// ONNX Runtime's blocked-layout kernels (<c>com.microsoft.nchwc</c>, part of the stock package), reordering the
    /// weights inside the step. Only the graph handed to the runtime changes; saved artifacts stay standard ONNX.
    /// Default on; off runs the standard <c>Conv</c> kernels.
    /// </summary>
    public bool BlockedConvolutions { get; init; } = true;
    /// <summary>Write an ORT profile (per-node times) with this file prefix; null: no profiling.</summary>
    public string? ProfilePrefix { get; init; }

    /// <summary>True when this session runs on the CPU (where <see cref="BlockedConvolutions"/> applies).</summary>
    public bool OnCpu => Device.Equals("cpu", StringComparison.OrdinalIgnoreCase);

    /// <summary>ORT session options for these settings.</summary>
    public SessionOptions ToSessionOptions()
    {
        var o = new SessionOptions
        {
            GraphOptimizationLevel = OptimizationLevel,
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
        if (OptimizedModelPath is not null) o.OptimizedModelFilePath = OptimizedModelPath;
        // The prefix must be set first: the EnableProfiling setter passes the prefix current at that moment to ORT.
        if (ProfilePrefix is not null) { o.ProfileOutputPathPrefix = ProfilePrefix; o.EnableProfiling = true; }
        if (Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase))
        {
            int id = Device.Contains(':') ? int.Parse(Device[(Device.IndexOf(':') + 1)..]) : 0;
            try { o.AppendExecutionProvider_CUDA(id); }
            catch (Exception e)
            {
                o.Dispose();
                throw new InvalidOperationException($"device '{Device}' was asked for, but ONNX Runtime's CUDA provider could not be loaded ({e.Message}). " +
                    "Use the Microsoft.ML.OnnxRuntime.Gpu package with CUDA 13 and cuDNN 9 on the library path, or --device cpu.", e);
            }
        }
        else if (!OnCpu)
        {
            o.Dispose();
            throw new ArgumentException($"unknown device '{Device}': expected 'cpu', 'cuda' or 'cuda:N'");
        }
        return o;
    }
}
