using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Inspect;

/// <summary><c>onnxkit serve --help</c> lists the server's options (declared through System.CommandLine, not hidden behind a pass-through).</summary>
[TestClass]
public sealed class ServeHelpCliTests
{
    [TestMethod]
    public void ServeHelpListsEveryServerOption()
    {
        var (code, stdout, stderr) = OnnxkitCli.Run(["serve", "--help"], 120);
        Assert.AreEqual(0, code, stderr);
        foreach (var option in new[] { "--port", "--host", "--api-key", "--max-body-bytes", "--max-concurrency", "--timeout-ms", "--shutdown-timeout-ms",
                     "--rescan-ms", "--metrics-port", "--headers-timeout-ms", "--keep-alive-timeout-ms", "--quiet", "model-dir" })
            StringAssert.Contains(stdout, option, $"serve --help does not list {option}:\n{stdout}");
    }
}
