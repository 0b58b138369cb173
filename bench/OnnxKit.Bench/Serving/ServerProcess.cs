using System.Diagnostics;
using System.Net.Sockets;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// The server under test in its own process (this program started again in server mode), so the load client's
/// CPU and the server's CPU are measured apart.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri address) { _process = process; BaseAddress = address; }

    /// <summary>Where the server listens.</summary>
    public Uri BaseAddress { get; }

    /// <summary>CPU time the server process has used so far.</summary>
    public TimeSpan Cpu { get { _process.Refresh(); return _process.TotalProcessorTime; } }

    /// <summary>CPU time so far and, for an OnnxKit server, the managed bytes it has allocated (its /metrics counter).</summary>
    public async Task<ServerUsage> UsageAsync(bool metrics)
    {
        var cpu = Cpu;
        if (!metrics) return new ServerUsage(cpu, null);
        using var http = new HttpClient();
        string text = await http.GetStringAsync(new Uri(BaseAddress, "metrics"));
        const string name = "dotnet_gc_allocated_bytes_total ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return new ServerUsage(cpu, line is null ? null : (long)double.Parse(line[name.Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Starts the server on <paramref name="repository"/>; with <paramref name="cores"/> (a taskset CPU list such as
    /// "0") every thread of the server is confined to those cores, so client and server can be given cores of their own.
    /// </summary>
    /// <summary><paramref name="program"/>: another build of this program to run as the server (A/B runs of two builds); null: this one.</summary>
    public static Task<ServerProcess> StartAsync(string repository, string? cores = null, IEnumerable<string>? extra = null, string? program = null)
    {
        int port = FreePort();
        return StartAsync(["serve", ServeBenchmark.ServerModeArgument, repository, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--quiet", .. extra ?? []], port, cores, program);
    }

    /// <summary>Starts this program (or <paramref name="program"/>) with <paramref name="arguments"/> (a server that listens on <paramref name="port"/>) and waits until it is ready.</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> arguments, int port, string? cores = null, string? program = null)
    {
        string self = program ?? Environment.ProcessPath!;
        // taskset (util-linux) pins the process before its first thread starts; .NET's ProcessorAffinity setter would
        // pin only the main thread of an already running process on Linux.
        var start = new ProcessStartInfo(cores is null ? self : "taskset")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (cores is not null) foreach (var a in new[] { "-c", cores, self }) start.ArgumentList.Add(a);
        // When run as `dotnet OnnxKit.Bench.dll`, ProcessPath is dotnet itself: pass the assembly first.
        if (program is null && Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient();
        for (int i = 0; i < 600; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"the server exited ({process.ExitCode}): {await process.StandardError.ReadToEndAsync()}");
            try
            {
                using var r = await http.GetAsync(new Uri(address, "v2/health/ready"));
                if (r.IsSuccessStatusCode) return new ServerProcess(process, address);
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        process.Kill(true);
        throw new TimeoutException("the server did not become ready within 60 s");
    }

    public static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(true); _process.WaitForExit(10_000); } } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
