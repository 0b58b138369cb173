using Microsoft.ML.OnnxRuntime;
using OnnxKit.Cuda;

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
    /// <summary>
    /// How long an idle ORT worker spins before it sleeps, in microseconds, where <see cref="AllowSpinning"/> is on; null:
    /// ORT's default. A short spin keeps most of the gain between back-to-back nodes while giving a shared core back sooner.
    /// </summary>
    public int? SpinMicroseconds { get; init; }
    /// <summary><c>cpu</c> (default) or <c>cuda</c> / <c>cuda:N</c> (needs the GPU build, <c>-p:OnnxKitGpu=true</c>, with CUDA 13 and cuDNN 9).</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>
    /// On the CPU, run eligible 2-D convolutions (float, one group, channel counts that fit the runtime's blocks) on
    /// ONNX Runtime's blocked-layout kernels (<c>com.microsoft.nchwc</c>, part of the stock package), reordering the
    /// weights inside the step. Only the graph handed to the runtime changes; saved artifacts stay standard ONNX.
    /// Default on; off runs the standard <c>Conv</c> kernels.
    /// </summary>
    public bool BlockedConvolutions { get; init; } = true;
    /// <summary>
    /// On the CPU, <see cref="Fit.Learner.Fit(Data.TensorDataset, Fit.FitOptions)"/> splits each step's batch into this many contiguous parts whose gradients
    /// are computed side by side on their own threads (each part's run on <see cref="IntraOpThreads"/> / this many ORT
    /// threads), sums them, and applies the optimizer once on all <see cref="IntraOpThreads"/>; 1 (default): the fused
    /// train step. The step is the fused one up to the order of float sums, Dropout masks included; a BatchNorm layer
    /// normalises each part with its own batch statistics, as data-parallel training over processes does. Steps taken
    /// with <see cref="TrainingSession.Step(int, double)"/> directly are not split.
    /// </summary>
    public int BatchThreads { get; init; } = 1;
    /// <summary>
    /// On the CPU, <see cref="Fit.Learner.Fit(Data.TensorDataset, Fit.FitOptions)"/> runs the optimizer's element-wise
    /// update on the host instead of as ONNX Runtime nodes: the step's gradients come from the gradient graph, then the
    /// update — read from the optimizer's own ONNX graph and computed with the same float32 operations — runs as one
    /// vectorised pass that reads each parameter, gradient and slot once, its elements shared over the
    /// <see cref="BatchThreads"/> threads.
    /// Saved artifacts are unchanged (standard ONNX). Applies where the gradient graph runs on one ONNX Runtime thread per
    /// part of the batch (<see cref="IntraOpThreads"/> equal to <see cref="BatchThreads"/>; with more threads per part the
    /// fused train step was measured faster), to optimizers whose update is element-wise, without gradient-norm clipping
    /// or host inputs, on models of one input; otherwise, and when off, the fused train step (or the update as ONNX
    /// Runtime nodes) runs. With one thread in all and a core to spare, Fit also writes the next batch while a step runs.
    /// Default on.
    /// </summary>
    public bool HostOptimizerUpdate { get; init; } = true;

    /// <summary>True when <see cref="HostOptimizerUpdate"/> applies to these settings (CPU, host state, one ORT thread per batch part).</summary>
    internal bool RunsUpdateOnHost => HostOptimizerUpdate && !StateOnDevice && IntraOpThreads == BatchThreads;
    /// <summary>Write an ORT profile (per-node times) with this file prefix; null: no profiling.</summary>
    public string? ProfilePrefix { get; init; }

    /// <summary>
    /// On the CPU, keep the state through the device-memory path (allocator and copies, as on CUDA) instead of in
    /// place: slower, for testing that path where no GPU is present.
    /// </summary>
    internal bool DeviceStateOnCpu { get; init; }

    /// <summary>True when the state and model output live in device memory (off the CPU, or <see cref="DeviceStateOnCpu"/>).</summary>
    internal bool StateOnDevice => !OnCpu || DeviceStateOnCpu;

    /// <summary>True when this session runs on the CPU (where <see cref="BlockedConvolutions"/> applies).</summary>
    public bool OnCpu => Device.Equals("cpu", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Null when <see cref="Device"/> can run here; otherwise one sentence naming what is missing (an unknown device
    /// name, the GPU build of ONNX Runtime, the NVIDIA driver, a CUDA 13 or cuDNN 9 library, the GPU) and the fix,
    /// ending with <paramref name="cpuAlternative"/>. Cheap: nothing is loaded onto a device.
    /// </summary>
    public string? DeviceProblem(string cpuAlternative = "or use device 'cpu'")
    {
        if (OnCpu) return null;
        if (CudaRuntimeCheck.ParseDevice(Device) is not { } id) return $"unknown device '{Device}': expected 'cpu', 'cuda' or 'cuda:N'";
        return CudaRuntimeCheck.Problem(id, cpuAlternative);
    }

    /// <summary>
    /// Null when these settings can run here; otherwise the first setting that cannot (<see cref="IntraOpThreads"/>,
    /// <see cref="BatchThreads"/>, <see cref="SpinMicroseconds"/> or <see cref="Device"/>, by property name) and why, so a caller can name its own
    /// option for it. The device part is <see cref="DeviceProblem"/>, ending with <paramref name="cpuAlternative"/>.
    /// </summary>
    public SettingProblem? Problem(string cpuAlternative = "or use device 'cpu'")
    {
        if (ProblemBeforeProvider(cpuAlternative) is { } problem) return problem;
        if (OnCpu) return null;
        // The libraries are present; enabling the provider is what can still fail (a mismatched ONNX Runtime build).
        using var probe = new SessionOptions();
        try { AppendCuda(probe); return null; }
        catch (InvalidOperationException e) { return new(nameof(Device), e.Message); }
    }

    private SettingProblem? ProblemBeforeProvider(string cpuAlternative)
    {
        if (IntraOpThreads < 1) return new(nameof(IntraOpThreads), $"must be at least 1, got {IntraOpThreads}");
        if (BatchThreads < 1) return new(nameof(BatchThreads), $"must be at least 1 (1: the fused train step), got {BatchThreads}");
        if (SpinMicroseconds is < 0)
            return new(nameof(SpinMicroseconds), $"the spin duration is in microseconds and must be 0 or more (null: ONNX Runtime's default), got {SpinMicroseconds}");
        return DeviceProblem(cpuAlternative) is { } device ? new(nameof(Device), device) : null;
    }

    /// <summary>
    /// ORT session options for these settings. Throws <see cref="ArgumentOutOfRangeException"/> (named after the setting)
    /// for a bad thread count or spin duration, and <see cref="InvalidOperationException"/> naming what is missing when
    /// the device cannot run (see <see cref="Problem"/>).
    /// </summary>
    public SessionOptions ToSessionOptions()
    {
        // The provider itself is enabled (and its failure reported) below, on the options handed out.
        if (ProblemBeforeProvider("or use device 'cpu'") is { } problem)
            throw problem.Setting == nameof(Device)
                ? new InvalidOperationException($"device '{Device}': {problem.Message}")
                : new ArgumentOutOfRangeException(problem.Setting, problem.Message);
        var o = new SessionOptions
        {
            GraphOptimizationLevel = OptimizationLevel,
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
        if (SpinMicroseconds is { } us) o.AddSessionConfigEntry("session.intra_op.spin_duration_us", us.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (OptimizedModelPath is not null) o.OptimizedModelFilePath = OptimizedModelPath;
        // The prefix must be set first: the EnableProfiling setter passes the prefix current at that moment to ORT.
        if (ProfilePrefix is not null) { o.ProfileOutputPathPrefix = ProfilePrefix; o.EnableProfiling = true; }
        if (!OnCpu)
        {
            try { AppendCuda(o); }
            catch (InvalidOperationException e)
            {
                o.Dispose();
                throw new InvalidOperationException($"device '{Device}': {e.Message}", e.InnerException);
            }
        }
        return o;
    }

    private void AppendCuda(SessionOptions o)
    {
        try { o.AppendExecutionProvider_CUDA(CudaRuntimeCheck.ParseDevice(Device)!.Value); }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            throw new InvalidOperationException($"ONNX Runtime's CUDA provider could not be enabled ({e.Message.Trim()}); " +
                $"it needs {CudaRuntimeCheck.Requirement} ({CudaRuntimeCheck.HowToCheck}), or use device 'cpu'", e);
        }
    }
}

/// <summary>A setting of <see cref="TrainingSessionOptions"/> that cannot run (its property name) and why.</summary>
public sealed record SettingProblem(string Setting, string Message);
