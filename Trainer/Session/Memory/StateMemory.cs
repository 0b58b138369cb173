using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.IR;

namespace OnnxKit.Training.Session.Memory;

/// <summary>
/// Where a <see cref="TrainingSession"/> keeps its state (parameters, optimizer slots, buffers, both A/B sets) and
/// its model output, and how values cross between that memory and the host. On the CPU everything is host memory
/// read in place (<see cref="HostStateMemory"/>); on CUDA the state lives in device memory from ONNX Runtime's CUDA
/// allocator and only crosses the bus when it is loaded or written out (<see cref="DeviceStateMemory"/>), so a step
/// moves the batch in and the loss out and nothing else.
/// </summary>
internal abstract class StateMemory : IDisposable
{
    /// <summary>True when values live in host memory that spans can read and write in place.</summary>
    public abstract bool InPlace { get; }

    /// <summary>A float tensor of <paramref name="shape"/> in state memory.</summary>
    public abstract OrtValue Allocate(long[] shape);

    /// <summary>Releases a tensor from <see cref="Allocate"/>.</summary>
    public virtual void Free(OrtValue value) => value.Dispose();

    /// <summary>True for a tensor from <see cref="Allocate"/> (in device memory unless <see cref="InPlace"/>).</summary>
    public abstract bool OnDevice(OrtValue value);

    /// <summary>Bytes that crossed between host and device so far (runs count theirs through <see cref="HostTraffic.Add"/>).</summary>
    public HostTraffic Traffic { get; } = new();

    /// <summary>A tensor the host writes batches into and ONNX Runtime reads (pinned host memory on CUDA).</summary>
    public abstract OrtValue AllocateStaging(TensorElementType type, long[] shape);

    /// <summary>Copies host values into a tensor of state memory.</summary>
    public abstract void Upload(ReadOnlySpan<float> source, OrtValue destination);

    /// <summary>Copies a tensor of state memory into <paramref name="destination"/> (its element count long).</summary>
    public abstract void Download(OrtValue source, Span<float> destination);

    /// <summary>The memory for a session's options: device memory off the CPU, or when <see cref="TrainingSessionOptions.DeviceStateOnCpu"/> asks for the device path on the CPU.</summary>
    public static StateMemory For(TrainingSessionOptions options, InferenceSession session)
    {
        if (!options.StateOnDevice) return new HostStateMemory();
        int device = options.OnCpu ? 0 : OnnxKit.Cuda.CudaRuntimeCheck.ParseDevice(options.Device)!.Value;
        return new DeviceStateMemory(session, options, options.OnCpu ? DeviceStateMemory.Cpu : DeviceStateMemory.Cuda(device));
    }

    /// <inheritdoc/>
    public abstract void Dispose();
}

/// <summary>State in ORT's default host allocator, read and written in place (the CPU path: no copies at all).</summary>
internal sealed class HostStateMemory : StateMemory
{
    public override bool InPlace => true;
    public override OrtValue Allocate(long[] shape) => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);
    public override bool OnDevice(OrtValue value) => false;
    public override OrtValue AllocateStaging(TensorElementType type, long[] shape) => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
    public override void Upload(ReadOnlySpan<float> source, OrtValue destination) => source.CopyTo(destination.GetTensorMutableDataAsSpan<float>());
    public override void Download(OrtValue source, Span<float> destination) => source.GetTensorDataAsSpan<float>().CopyTo(destination);
    public override void Dispose() { }
}

/// <summary>
/// State allocated through ONNX Runtime's allocator for a device (<see cref="OrtMemoryInfo"/>: CUDA device memory,
/// batches staged in CUDA-pinned host memory). The host never touches device memory: every crossing is a copy made
/// by a one-node <c>Identity</c> session on the same execution provider, bound with <see cref="OrtIoBinding"/> to the
/// host buffer on one side and the device tensor on the other. With CPU memory infos the same code runs on the CPU,
/// which is how the tests exercise it.
/// </summary>
internal sealed class DeviceStateMemory : StateMemory
{
    /// <summary>Memory infos of the state and the staging buffers.</summary>
    public sealed record Infos(OrtMemoryInfo State, OrtMemoryInfo Staging);

    /// <summary>Host memory through the session's allocator (the device path, exercised on the CPU).</summary>
    public static Infos Cpu => new(new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default),
        new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default));

    /// <summary>CUDA device memory for state, CUDA-pinned host memory for staging.</summary>
    public static Infos Cuda(int device) => new(new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, device, OrtMemType.Default),
        new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, device, OrtMemType.CpuOutput));

    private readonly Infos _infos;
    private readonly OrtAllocator _state, _staging;
    private readonly InferenceSession _copy;
    private readonly RunOptions _run = new();
    private readonly HashSet<OrtValue> _allocated = new(ReferenceEqualityComparer.Instance);

    public DeviceStateMemory(InferenceSession session, TrainingSessionOptions options, Infos infos)
    {
        _infos = infos;
        _state = new OrtAllocator(session, infos.State);
        // Pinned staging makes the batch copy asynchronous DMA; where the provider offers no such allocator, ORT's
        // default host memory still works (the copy is then staged by the driver).
        try { _staging = new OrtAllocator(session, infos.Staging); }
        catch (OnnxRuntimeException) { _staging = OrtAllocator.DefaultInstance; }
        using var so = (options with { OptimizedModelPath = null, ProfilePrefix = null }).ToSessionOptions();
        _copy = new InferenceSession(CopyModel.Value, so);
    }

    // y = Identity(x) for a float tensor of any shape.
    private static readonly Lazy<byte[]> CopyModel = new(() =>
    {
        var g = new GraphBuilder("copy", 17);
        g.Output(Op.Identity(g.Input("x", new TensorType(ElementType.Float32, null))), "y");
        return g.Build().ToBytes();
    });

    public override bool InPlace => false;
    public override OrtValue Allocate(long[] shape)
    {
        var v = OrtValue.CreateAllocatedTensorValue(_state, TensorElementType.Float, shape);
        _allocated.Add(v);
        return v;
    }

    public override void Free(OrtValue value) { _allocated.Remove(value); value.Dispose(); }
    public override bool OnDevice(OrtValue value) => _allocated.Contains(value);
    public override OrtValue AllocateStaging(TensorElementType type, long[] shape) => OrtValue.CreateAllocatedTensorValue(_staging, type, shape);

    public override unsafe void Upload(ReadOnlySpan<float> source, OrtValue destination)
    {
        fixed (float* p = source)
        {
            using var host = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
                destination.GetTensorTypeAndShape().Shape, (IntPtr)p, source.Length * sizeof(float));
            Copy(host, destination);
        }
        Traffic.Add(new(source.Length * sizeof(float), 0));
    }

    public override unsafe void Download(OrtValue source, Span<float> destination)
    {
        fixed (float* p = destination)
        {
            using var host = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
                source.GetTensorTypeAndShape().Shape, (IntPtr)p, destination.Length * sizeof(float));
            Copy(source, host);
        }
        Traffic.Add(new(0, destination.Length * sizeof(float)));
    }

    private void Copy(OrtValue from, OrtValue to)
    {
        using var b = _copy.CreateIoBinding();
        b.BindInput("x", from);
        b.BindOutput("y", to);
        _copy.RunWithBinding(_run, b);
    }

    public override void Dispose()
    {
        _copy.Dispose(); _run.Dispose();
        _state.Dispose();
        if (_staging != OrtAllocator.DefaultInstance) _staging.Dispose();
        _infos.State.Dispose(); _infos.Staging.Dispose();
    }
}
