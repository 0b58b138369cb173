namespace OnnxKit.Training.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, over the processes ("ranks") of one job. Every rank calls
/// each operation in the same order with buffers of the same length; a call returns when every rank has made it.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index in the job, 0 … <see cref="Size"/> − 1.</summary>
    int Rank { get; }
    /// <summary>Number of processes in the job.</summary>
    int Size { get; }
    /// <summary>Replaces <paramref name="values"/> on every rank by the element-wise sum over all ranks.</summary>
    void AllreduceSum(Span<float> values);
    /// <summary>Replaces <paramref name="values"/> on every rank by the element-wise sum over all ranks.</summary>
    void AllreduceSum(Span<double> values);
    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="bytes"/> into every other rank's.</summary>
    void Broadcast(Span<byte> bytes, int root);
    /// <summary>Returns when every rank has called it.</summary>
    void Barrier();
    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (a rank that cannot go on must not leave the others waiting).</summary>
    void Abort(int exitCode);
}

/// <summary>A job of one process: every collective is the identity.</summary>
public sealed class SingleProcess : ICommunicator
{
    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;
    /// <inheritdoc/>
    public void AllreduceSum(Span<float> values) { }
    /// <inheritdoc/>
    public void AllreduceSum(Span<double> values) { }
    /// <inheritdoc/>
    public void Broadcast(Span<byte> bytes, int root) { }
    /// <inheritdoc/>
    public void Barrier() { }
    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);
    /// <inheritdoc/>
    public void Dispose() { }
}
