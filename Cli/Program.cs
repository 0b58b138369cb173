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
        try
        {
            // Our handler, not System.CommandLine's: user errors are one line without a stack trace.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is CliException or IR.OnnxModelException or InvalidDataException or FileNotFoundException or FormatException)
        {
            Console.Error.WriteLine($"onnxkit: {e.Message}");
            return 2;
        }
    }
}

/// <summary>A user error the CLI reports as one line (exit code 2), without a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
