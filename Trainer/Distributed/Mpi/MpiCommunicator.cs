namespace OnnxKit.Training.Distributed.Mpi;

/// <summary>
/// <see cref="ICommunicator"/> over Open MPI's <c>MPI_COMM_WORLD</c>: the processes <c>mpirun</c> (or <c>srun</c>, or the
/// MPI Operator on Kubernetes) started. Opening it initialises MPI; disposing it finalises MPI. One per process.
/// </summary>
/// <remarks>
/// MPI's default error handler on <c>MPI_COMM_WORLD</c> aborts the whole job on a communication error, and Open MPI's
/// launcher ends every rank when one exits without finalising, so a rank that dies never leaves the others waiting.
/// </remarks>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    // MPI counts are C ints: a larger buffer goes in slices.
    private const int MaxCount = 1 << 30;
    private readonly LibMpi _mpi;
    private bool _finalized;

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>Initialises MPI (once per process) and joins <c>MPI_COMM_WORLD</c>.</summary>
    public MpiCommunicator()
    {
        _mpi = LibMpi.Instance;
        int flag;
        Check(_mpi.Initialized(&flag), "MPI_Initialized");
        if (flag != 0) throw new InvalidOperationException("MPI is already initialised in this process: open one MpiCommunicator per process");
        int provided;
        Check(_mpi.InitThread(IntPtr.Zero, IntPtr.Zero, LibMpi.ThreadFunneled, &provided), "MPI_Init_thread");
        int rank, size;
        Check(_mpi.CommRank(_mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(_mpi.CommSize(_mpi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank; Size = size;
    }

    /// <summary>True when Open MPI's library is installed here.</summary>
    public static bool Available => LibMpi.Available;

    /// <inheritdoc/>
    public void AllreduceSum(Span<float> values)
    {
        fixed (float* p = values)
            for (int at = 0; at < values.Length; at += MaxCount)
                Check(_mpi.Allreduce(LibMpi.InPlace, p + at, Math.Min(MaxCount, values.Length - at), _mpi.Float, _mpi.Sum, _mpi.CommWorld), "MPI_Allreduce");
    }

    /// <inheritdoc/>
    public void AllreduceSum(Span<double> values)
    {
        fixed (double* p = values)
            for (int at = 0; at < values.Length; at += MaxCount)
                Check(_mpi.Allreduce(LibMpi.InPlace, p + at, Math.Min(MaxCount, values.Length - at), _mpi.Double, _mpi.Sum, _mpi.CommWorld), "MPI_Allreduce");
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> bytes, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        fixed (byte* p = bytes)
            for (int at = 0; at < bytes.Length; at += MaxCount)
                Check(_mpi.Bcast(p + at, Math.Min(MaxCount, bytes.Length - at), _mpi.Byte, root, _mpi.CommWorld), "MPI_Bcast");
    }

    /// <inheritdoc/>
    public void Barrier() => Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier");

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        Console.Out.Flush(); Console.Error.Flush();
        _mpi.Abort(_mpi.CommWorld, exitCode);
    }

    /// <summary>Finalises MPI (every rank must; the launcher treats a rank that exits without it as failed).</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        int flag;
        if (_mpi.Finalized(&flag) == 0 && flag == 0) _mpi.Finalize();
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}");
    }
}
