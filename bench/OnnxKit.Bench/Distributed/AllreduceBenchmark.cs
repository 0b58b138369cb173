using System.Diagnostics;
using System.Globalization;
using OnnxKit.Training.Distributed;

namespace OnnxKit.Bench.Distributed;

/// <summary>
/// The in-place float allreduce of the data-parallel step alone, at several sizes, for the α (per-message) and β
/// (per-byte) of the scaling model in docs/distributed.md. Run under mpirun:
/// <c>mpirun -np 2 dotnet bench/OnnxKit.Bench/bin/Release/net10.0/OnnxKit.Bench.dll allreduce [--iterations 200]</c>.
/// </summary>
public sealed class AllreduceBenchmark : IBenchmark
{
    /// <inheritdoc/>
    public string Name => "allreduce";

    /// <inheritdoc/>
    public string Description => "MPI allreduce (float sum, in place) time by message size; run under mpirun";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        int iterations = Array.IndexOf(args, "--iterations") is var i and >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 200;
        using var world = World.Join("mpi");
        // 1 float (latency), the CNN's and the MLP's gradient buckets (about 35k and 103k floats), and 1M floats (bandwidth).
        int[] sizes = [1, 1024, 35_000, 103_000, 1_000_000];
        if (world.Rank == 0) Console.WriteLine($"ranks {world.Size}, {iterations} iterations per size, median and 10th percentile per call");
        foreach (int n in sizes)
        {
            var buffer = new float[n];
            var times = new double[iterations];
            for (int w = 0; w < 10; w++) world.AllreduceSum(buffer);
            for (int k = 0; k < iterations; k++)
            {
                world.Barrier();
                var sw = Stopwatch.StartNew();
                world.AllreduceSum(buffer);
                times[k] = sw.Elapsed.TotalMicroseconds;
            }
            Array.Sort(times);
            if (world.Rank == 0)
                Console.WriteLine($"{n,9} floats {n * 4 / 1024.0,9:F1} KiB  median {times[iterations / 2],9:F1} µs  p10 {times[iterations / 10],9:F1} µs");
        }
        return 0;
    }
}
