using OnnxKit.Training.Distributed.Mpi;

namespace OnnxKit.Training.Distributed;

/// <summary>Which job this process belongs to: detected from the launcher's environment, or asked for explicitly.</summary>
public static class World
{
    /// <summary>Set by Open MPI's launcher (<c>mpirun</c>, and <c>srun --mpi=pmix</c> through Open MPI) in every rank.</summary>
    public const string SizeVariable = "OMPI_COMM_WORLD_SIZE";
    /// <summary>Ranks of the job on this host (to share its cores between them).</summary>
    public const string LocalSizeVariable = "OMPI_COMM_WORLD_LOCAL_SIZE";

    /// <summary>True when an Open MPI launcher started this process.</summary>
    public static bool LaunchedByMpi => Environment.GetEnvironmentVariable(SizeVariable) is { Length: > 0 };

    /// <summary>Ranks of this job on this host (1 outside MPI).</summary>
    public static int LocalSize => int.TryParse(Environment.GetEnvironmentVariable(LocalSizeVariable), out var n) && n > 0 ? n : 1;

    /// <summary>
    /// The communicator for <paramref name="mode"/>: <c>auto</c> (MPI when an MPI launcher started this process, else a
    /// single process), <c>mpi</c> (MPI, even as a job of one) or <c>none</c>.
    /// </summary>
    public static ICommunicator Join(string mode) => mode.ToLowerInvariant() switch
    {
        "none" => new SingleProcess(),
        "auto" => LaunchedByMpi ? OpenMpi() : new SingleProcess(),
        "mpi" => OpenMpi(),
        _ => throw new ArgumentException($"distributed mode must be 'auto', 'mpi' or 'none', got '{mode}'"),
    };

    private static MpiCommunicator OpenMpi() => MpiCommunicator.Available ? new MpiCommunicator()
        : throw new ArgumentException("MPI was asked for, but Open MPI's libmpi.so.40 is not installed (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)");
}
