using System.CommandLine;
using OnnxKit.Cli.Commands;

namespace OnnxKit.Cli;

/// <summary>The <c>onnxkit</c> command: train, evaluate, predict, inspect, export, serve.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("OnnxKit: build, train, export and serve ONNX models from .NET.");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(FinetuneCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(TuneCommand.Create());
        var verbose = new Option<bool>("--verbose") { Description = "print the stack trace of an internal error", Recursive = true };
        root.Options.Add(verbose);
        // Our handler, not System.CommandLine's. Exit codes: 0 success, 2 bad usage or data (one line), 3 training
        // diverged (one line), 1 internal error (one line; the stack trace with --verbose).
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is CliException or IR.OnnxModelException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"onnxkit: {e.Message}");
            return 2;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"onnxkit: internal error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}" + (args.Contains("--verbose") ? "" : " (--verbose for the stack trace)"));
            if (args.Contains("--verbose")) Console.Error.WriteLine(e);
            return 1;
        }
    }
}

/// <summary>Exit code of a run whose training diverged (non-finite loss, or a blow-up with --stop-on-divergence).</summary>
internal static class ExitCodes
{
    public const int Diverged = 3;
}

/// <summary>A user error the CLI reports as one line (exit code 2), without a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
