using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace OnnxKit.Tests.Support;

/// <summary>The built <c>onnxkit</c> command (Cli/bin), run as a real process by the CLI tests of several projects.</summary>
public static class OnnxkitCli
{
    /// <summary>Path of <c>onnxkit.dll</c> (Debug first, as <c>dotnet test</c> builds it); skips the test when not built.</summary>
    public static string Dll
    {
        get
        {
            foreach (var c in new[] { "Debug", "Release" })
            {
                string p = Path.Combine(Python.RepoRoot, "Cli", "bin", c, "net10.0", "onnxkit.dll");
                if (File.Exists(p)) return p;
            }
            Assert.Inconclusive("build the CLI first (dotnet build OnnxKit.sln)");
            return "";
        }
    }

    /// <summary>Runs <c>onnxkit ARGS</c>, capturing its output, killing it after <paramref name="timeoutSeconds"/>.</summary>
    public static (int Code, string Out, string Err) Run(string[] args, int timeoutSeconds) => Python.Run("dotnet", [Dll, .. args], timeoutSeconds);
}
