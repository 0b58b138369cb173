using System.CommandLine;
using OnnxKit.Server;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit serve [DIR] [--port N] …</c>: the Open Inference Protocol server over a model repository.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var dir = new Argument<string?>("model-dir") { Description = "model repository folder (default models/; layout <name>/<version>/model.onnx, optional <name>/config.json)", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("serve", "Serve a model repository over the Open Inference Protocol (KServe v2): REST on 127.0.0.1:8000 and gRPC on 8001 by default.") { dir };
        // The options are declared from the server's own table so --help lists each one; the server parses and checks the values.
        foreach (var (name, value, description) in ServerOptions.Options)
            cmd.Options.Add(value is null ? new Option<bool>(name) { Description = description }
                : name == "--load-model" ? new Option<string[]>(name) { Description = description, HelpName = value } // repeatable
                : new Option<string>(name) { Description = description, HelpName = value });
        cmd.SetAction(pr =>
        {
            // The provider of /explain: gradient graphs come from the Trainer, which the server itself does not reference.
            using var attributions = new ServeAttributions();
            return OnnxKit.Server.Server.Run(pr.Tokens.SkipWhile(t => t.Type != System.CommandLine.Parsing.TokenType.Command).Skip(1).Select(t => t.Value).ToArray(), attributions);
        });
        return cmd;
    }
}
