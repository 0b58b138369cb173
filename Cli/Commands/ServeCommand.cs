using System.CommandLine;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit serve [DIR] [--port N] …</c>: the Open Inference Protocol server over a model repository.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var rest = new Argument<string[]>("arguments") { Description = "model repository folder (default models/) and server options (--port 8000, --host, --api-key, …; see --help)", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command("serve", "Serve a model repository over KServe v2 REST (binds 127.0.0.1:8000 by default).") { rest };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(pr =>
        {
            using var attributions = new ServeAttributions();
            return OnnxKit.Server.Server.Run([.. pr.GetValue(rest) ?? [], .. pr.UnmatchedTokens], attributions);
        });
        return cmd;
    }
}
