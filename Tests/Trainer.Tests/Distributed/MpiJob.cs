using System.Diagnostics;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Distributed;

/// <summary>Starts the test worker (or the CLI) as an Open MPI job of N ranks on this host.</summary>
internal static class MpiJob
{
    /// <summary><c>mpirun</c> on the PATH; skips the test when Open MPI is not installed.</summary>
    public static string Launcher
    {
        get
        {
            var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);
            if (found is null) Assert.Inconclusive("mpirun is not installed (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev); the distributed tests need it");
            return found!;
        }
    }

    /// <summary>Arguments that start <paramref name="ranks"/> ranks here, allowing more ranks than cores and (in CI containers) root.</summary>
    public static string[] Prefix(int ranks) =>
        ["-np", ranks.ToString(), "--oversubscribe", .. Environment.UserName == "root" ? new[] { "--allow-run-as-root" } : [], "dotnet"];

    /// <summary>Runs the test worker as <paramref name="ranks"/> ranks; returns its exit code, output and wall time.</summary>
    public static (int Code, string Out, string Err, TimeSpan Elapsed) Worker(int ranks, params string[] args)
    {
        string worker = typeof(DistributedWorker).Assembly.Location;
        var sw = Stopwatch.StartNew();
        var (code, stdout, stderr) = Python.Run(Launcher, [.. Prefix(ranks), worker, "--mode", "mpi", .. args], 120);
        return (code, stdout, stderr, sw.Elapsed);
    }
}
