using System.CommandLine;
using OnnxKit.Training.Distributed;

namespace OnnxKit.Cli.Commands;

/// <summary>What <c>train --distributed … --accumulate-steps …</c> asked for.</summary>
internal sealed record DistributedRequest(string Mode, int AccumulateSteps, int? ThreadsPerRank, int BatchThreads = 1, bool HostUpdate = true);

/// <summary>The <c>--distributed</c> and <c>--accumulate-steps</c> options of <c>train</c>, and how a job's ranks fail together.</summary>
internal sealed class DistributedOptions
{
    private readonly Option<string> _mode = new("--distributed")
    {
        Description = "auto: data-parallel over MPI when started by mpirun/srun (one rank per process, --batch-size is the global batch), else one process; mpi; none",
        DefaultValueFactory = _ => "auto",
    };
    private readonly Option<int> _accumulate = new("--accumulate-steps")
    {
        Description = "sum the gradients of K batches of --batch-size into one step (equals one step on a K× larger batch)",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<int> _batchThreads = new("--batch-threads")
    {
        Description = "on the CPU, split each batch into N parts whose gradients are computed side by side on their own threads, " +
                      "the update cut over them too (the same step up to float rounding; BatchNorm normalises each part apart)",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<string> _hostUpdate = new("--host-update")
    {
        Description = "on: on the CPU, the optimizer's element-wise update runs on the host in one vectorised pass (the same float32 " +
                      "arithmetic as its ONNX graph; saved artifacts unchanged); off: as ONNX Runtime nodes inside the train step",
        DefaultValueFactory = _ => "on",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_mode); command.Options.Add(_accumulate); command.Options.Add(_batchThreads); command.Options.Add(_hostUpdate);
    }

    /// <summary>The request; <paramref name="threads"/> counts only when given (ranks on one host share its cores by default).</summary>
    public DistributedRequest Read(ParseResult pr, Option<int> threads) =>
        new(pr.GetValue(_mode)!, pr.GetValue(_accumulate), pr.GetResult(threads) is { Implicit: false } ? pr.GetValue(threads) : null, pr.GetValue(_batchThreads),
            pr.GetValue(_hostUpdate)!.ToLowerInvariant() switch
            {
                "on" => true,
                "off" => false,
                var other => throw new CliException($"--host-update must be 'on' or 'off', got '{other}'"),
            });

    /// <summary>Joins the job the request names (one line, exit 2, when MPI is asked for but not installed).</summary>
    public static ICommunicator Join(DistributedRequest r)
    {
        if (r.Mode.ToLowerInvariant() is not ("auto" or "mpi" or "none")) throw new CliException($"--distributed must be 'auto', 'mpi' or 'none', got '{r.Mode}'");
        if (r.AccumulateSteps < 1) throw new CliException($"--accumulate-steps must be at least 1, got {r.AccumulateSteps}");
        if (r.BatchThreads < 1) throw new CliException($"--batch-threads must be at least 1 (1: no split), got {r.BatchThreads}");
        try { return World.Join(r.Mode); }
        catch (ArgumentException e) { throw new CliException($"--distributed {r.Mode}: {e.Message}"); }
    }

    /// <summary>ORT threads per rank: as given, else the host's cores shared by the ranks on it.</summary>
    public static int Threads(DistributedRequest r, int given, ICommunicator world) =>
        r.ThreadsPerRank ?? (world.Size > 1 ? Math.Max(1, Environment.ProcessorCount / World.LocalSize) : given);

    /// <summary>
    /// Runs <paramref name="body"/> on this rank. In a job of several ranks a failure must not leave the others waiting in
    /// a collective: the failing rank prints one line naming itself and aborts the whole job (MPI_Abort).
    /// </summary>
    public static int Run(ICommunicator world, Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (world.Size > 1)
        {
            bool user = e is CliException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or FormatException or ArgumentException or NotSupportedException;
            Console.Error.WriteLine($"onnxkit: rank {world.Rank}: " + (user ? e.Message : $"internal error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}"));
            world.Abort(user ? 2 : 1);
            return 1;
        }
    }
}
