using System.Runtime.InteropServices;

namespace OnnxKit.Training.Distributed.Mpi;

/// <summary>
/// The few entry points of Open MPI's <c>libmpi.so.40</c> (Open MPI 3.x–5.x ABI) that data-parallel training needs,
/// called through function pointers taken from the loaded library. Open MPI's handles (<c>MPI_COMM_WORLD</c>,
/// <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are not constants but the addresses of objects the library exports
/// (<c>ompi_mpi_comm_world</c>, …), so they are resolved the same way, as Open MPI's own <c>mpi.h</c> macros do. This
/// binding is Open MPI's only: MPICH and MS-MPI use integer handles.
/// </summary>
/// <remarks>
/// The library is opened with <c>RTLD_GLOBAL</c>: Open MPI loads its transport components as plug-ins that resolve
/// symbols of <c>libmpi</c> and its siblings through the global namespace, which a default (local) load hides from them.
/// </remarks>
internal sealed unsafe partial class LibMpi
{
    private static readonly Lazy<LibMpi> Loaded = new(() => new LibMpi(Open()));

    /// <summary>The library, opened on first use; throws <see cref="DllNotFoundException"/> naming the package when absent.</summary>
    public static LibMpi Instance => Loaded.Value;

    /// <summary><c>MPI_IN_PLACE</c> in Open MPI's ABI.</summary>
    public static readonly IntPtr InPlace = 1;

    /// <summary><c>MPI_THREAD_FUNNELED</c>: only the thread that initialised MPI calls it.</summary>
    public const int ThreadFunneled = 1;

    public readonly IntPtr CommWorld, Float, Double, Byte, Sum;
    public readonly delegate* unmanaged<IntPtr, IntPtr, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized, Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<IntPtr, int*, int> CommRank, CommSize;
    public readonly delegate* unmanaged<IntPtr, void*, int, IntPtr, IntPtr, IntPtr, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> Bcast;
    public readonly delegate* unmanaged<IntPtr, int> Barrier;
    public readonly delegate* unmanaged<IntPtr, int, int> Abort;

    private LibMpi(IntPtr h)
    {
        CommWorld = Export(h, "ompi_mpi_comm_world");
        Float = Export(h, "ompi_mpi_float");
        Double = Export(h, "ompi_mpi_double");
        Byte = Export(h, "ompi_mpi_byte");
        Sum = Export(h, "ompi_mpi_op_sum");
        InitThread = (delegate* unmanaged<IntPtr, IntPtr, int, int*, int>)Export(h, "MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export(h, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export(h, "MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export(h, "MPI_Finalize");
        CommRank = (delegate* unmanaged<IntPtr, int*, int>)Export(h, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<IntPtr, int*, int>)Export(h, "MPI_Comm_size");
        Allreduce = (delegate* unmanaged<IntPtr, void*, int, IntPtr, IntPtr, IntPtr, int>)Export(h, "MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Export(h, "MPI_Bcast");
        Barrier = (delegate* unmanaged<IntPtr, int>)Export(h, "MPI_Barrier");
        Abort = (delegate* unmanaged<IntPtr, int, int>)Export(h, "MPI_Abort");
    }

    /// <summary>True when Open MPI's library can be opened here.</summary>
    public static bool Available
    {
        get
        {
            try { return Loaded.Value is not null; }
            catch (DllNotFoundException) { return false; }
        }
    }

    private static IntPtr Open()
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        foreach (var name in new[] { "libmpi.so.40", "libmpi.so" })
        {
            var h = dlopen(name, RtldNow | RtldGlobal);
            if (h != IntPtr.Zero) return h;
        }
        throw new DllNotFoundException("Open MPI's libmpi.so.40 was not found: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)");
    }

    private static IntPtr Export(IntPtr library, string symbol) => NativeLibrary.TryGetExport(library, symbol, out var p) ? p
        : throw new EntryPointNotFoundException($"libmpi exports no '{symbol}': this binding needs Open MPI (3.x to 5.x)");

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr dlopen(string file, int mode);
}
