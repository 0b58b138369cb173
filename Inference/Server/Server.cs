namespace OnnxKit.Server;

/// <summary>
/// The command-line entry of the inference server (<c>onnxkit serve</c> calls <see cref="Run"/>; from a namespace
/// under <c>OnnxKit</c> write <c>OnnxKit.Server.Server.Run(args)</c>).
/// </summary>
public static class Server
{
    /// <summary>
    /// Parses <paramref name="args"/> (<see cref="ServerOptions.Usage"/>), serves until Ctrl+C/SIGTERM; returns the exit code.
    /// <paramref name="attributions"/> backs the explain endpoint (see <see cref="IAttributionProvider"/>).
    /// </summary>
    public static int Run(string[] args, IAttributionProvider? attributions = null) => RunAsync(args, default, attributions).GetAwaiter().GetResult();

    /// <summary>Asynchronous <see cref="Run"/>.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancel = default, IAttributionProvider? attributions = null)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.WriteLine(ServerOptions.Usage); return 0; }
        ServerOptions options;
        try { options = ServerOptions.Parse(args); options.Attributions = attributions; }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        try
        {
            await using var host = await ServerHost.StartAsync(options, cancel);
            Console.WriteLine($"OnnxKit server on {host.BaseAddress} serving {host.Repository.Root}");
            if (host.GrpcAddress is { } grpc) Console.WriteLine($"  gRPC (inference.GRPCInferenceService) on {grpc}");
            foreach (var s in host.Repository.Index())
                Console.WriteLine($"  {s.Name} {s.Version?.ToString() ?? "-"} {s.State}{(s.Reason.Length > 0 ? ": " + s.Reason : "")}");
            await host.WaitForShutdownAsync(cancel);
            return 0;
        }
        catch (DirectoryNotFoundException e) { Console.Error.WriteLine(e.Message); return 1; }
        catch (IOException e) { Console.Error.WriteLine($"cannot listen on {options.Host}:{options.Port}{(options.GrpcPort is { } g ? $" (gRPC {g}; --grpc-port none turns it off)" : "")}: {e.Message}"); return 1; }
    }
}

internal static class Program
{
    private static int Main(string[] args) => Server.Run(args);
}
