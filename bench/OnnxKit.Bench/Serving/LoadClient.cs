using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace OnnxKit.Bench.Serving;

/// <summary>One prepared request body: JSON, or a JSON header followed by binary tensor data.</summary>
internal sealed record RequestBody(byte[] Bytes, string ContentType, int? BinaryHeaderLength, int Samples);

/// <summary>What one load point measured.</summary>
internal sealed record LoadResult(int Concurrency, long Requests, long Failures, double Seconds, double P50Ms, double P99Ms, TimeSpan ClientCpu)
{
    public double RequestsPerSecond => Requests / Seconds;
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> clients, each sending its next request as soon as the previous
/// answer arrives, for a fixed time. Latency is measured per request from send to the last byte of the answer.
/// </summary>
internal static class LoadClient
{
    public static async Task<LoadResult> RunAsync(Uri url, RequestBody body, int concurrency, TimeSpan duration, TimeSpan warmUp)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        var latencies = new List<double>[concurrency];
        long failures = 0;
        var process = Process.GetCurrentProcess();

        // Warm-up (connections, JIT, ORT's first runs) is not measured.
        await Loop(DateTime.UtcNow + warmUp, record: false);
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Loop(DateTime.UtcNow + duration, record: true);
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;

        var all = latencies.SelectMany(l => l).OrderBy(v => v).ToArray();
        return new LoadResult(concurrency, all.Length, failures, seconds, Percentile(all, 0.50), Percentile(all, 0.99), cpu);

        async Task Loop(DateTime until, bool record)
        {
            var workers = Enumerable.Range(0, concurrency).Select(async w =>
            {
                var mine = latencies[w] = record ? new List<double>(4096) : [];
                while (DateTime.UtcNow < until)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    using var content = new ByteArrayContent(body.Bytes);
                    content.Headers.ContentType = new MediaTypeHeaderValue(body.ContentType);
                    if (body.BinaryHeaderLength is int h) content.Headers.Add("Inference-Header-Content-Length", h.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    using var response = await http.PostAsync(url, content);
                    _ = await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK) { Interlocked.Increment(ref failures); continue; }
                    if (record) mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }).ToArray();
            await Task.WhenAll(workers);
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
