using System.Diagnostics;

namespace OnnxKit.Bench.Serving;

/// <summary>One prepared request body: JSON, or a JSON header followed by binary tensor data.</summary>
internal sealed record RequestBody(byte[] Bytes, string ContentType, int? BinaryHeaderLength, int Samples);

/// <summary>What a server process has used so far: CPU time, and managed bytes allocated where it reports them.</summary>
internal readonly record struct ServerUsage(TimeSpan Cpu, long? AllocatedBytes)
{
    public static ServerUsage operator -(ServerUsage a, ServerUsage b) => new(a.Cpu - b.Cpu, a.AllocatedBytes - b.AllocatedBytes);
}

/// <summary>What one load point measured (<see cref="Server"/>: the server's usage over the measured window, when probed).</summary>
internal sealed record LoadResult(int Concurrency, long Requests, long Failures, double Seconds, double P50Ms, double P99Ms, TimeSpan ClientCpu, ServerUsage? Server = null)
{
    public double RequestsPerSecond => Requests / Seconds;
    /// <summary>Server CPU microseconds per answered request.</summary>
    public double ServerCpuMicros => Server is { } s ? s.Cpu.TotalMicroseconds / Math.Max(1, Requests) : double.NaN;
    /// <summary>Server kilobytes allocated per answered request.</summary>
    public double ServerAllocatedKb => Server is { AllocatedBytes: long b } ? b / 1024.0 / Math.Max(1, Requests) : double.NaN;
}

/// <summary>One client's way of sending the prepared request: true when the answer was a complete 200.</summary>
internal interface ILoadConnection : IDisposable
{
    Task<bool> SendAsync();
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> clients, each sending its next request as soon as the previous
/// answer arrives, for a fixed time. Latency is measured per request from send to the last byte of the answer; the
/// generator's own CPU time is measured over the same window.
/// </summary>
internal static class LoadClient
{
    public static async Task<LoadResult> RunAsync(Func<ILoadConnection> connect, int concurrency, TimeSpan duration, TimeSpan warmUp, Func<Task<ServerUsage>>? server = null)
    {
        var latencies = new List<double>[concurrency];
        long failures = 0;
        var process = Process.GetCurrentProcess();

        // Warm-up (connections, JIT, ORT's first runs) is not measured.
        await Loop(DateTime.UtcNow + warmUp, record: false);
        var server0 = server is null ? default : await server();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Loop(DateTime.UtcNow + duration, record: true);
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        ServerUsage? used = server is null ? null : await server() - server0;

        var all = latencies.SelectMany(l => l).OrderBy(v => v).ToArray();
        return new LoadResult(concurrency, all.Length, failures, seconds, Percentile(all, 0.50), Percentile(all, 0.99), cpu, used);

        async Task Loop(DateTime until, bool record)
        {
            var workers = Enumerable.Range(0, concurrency).Select(async w =>
            {
                var mine = latencies[w] = record ? new List<double>(4096) : [];
                using var connection = connect();
                while (DateTime.UtcNow < until)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    if (!await connection.SendAsync()) { Interlocked.Increment(ref failures); continue; }
                    if (record) mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }).ToArray();
            await Task.WhenAll(workers);
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
