using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Server;

namespace OnnxKit.Tests.Inference;

/// <summary>A connection that never finishes its headers (slowloris) is closed by the server after its headers timeout.</summary>
[TestClass]
public sealed class SlowHeaderTests
{
    [TestMethod]
    public async Task HalfAHeaderIsClosedAfterTheHeadersTimeout()
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        await using var s = await ServerFixture.StartAsync(repo, o => o.HeadersTimeout = TimeSpan.FromSeconds(1));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(s.Host.BaseAddress.Host, s.Host.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /v2/health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: "));
        var clock = Stopwatch.StartNew();
        // Read until the server closes; a server that kept the connection would leave this read waiting for the 15 s guard (Kestrel's own default is 30 s).
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[4096];
        var answer = new StringBuilder();
        int n;
        try { while ((n = await stream.ReadAsync(buffer, guard.Token)) > 0) answer.Append(Encoding.ASCII.GetString(buffer, 0, n)); }
        catch (IOException) { /* reset by the server: closed as well */ }
        catch (OperationCanceledException) { Assert.Fail("the server kept a connection with half a header open for 15 s"); }
        Console.WriteLine($"closed after {clock.Elapsed.TotalSeconds:F1} s: {answer.ToString().Split('\n')[0]}");
        Assert.IsFalse(answer.ToString().Contains("\"live\"", StringComparison.Ordinal), "an unfinished request must not be answered as a whole one");
    }

    [TestMethod]
    public void TimeoutsAreServerOptions()
    {
        var o = ServerOptions.Parse(["--headers-timeout-ms", "2500", "--keep-alive-timeout-ms", "15000"]);
        Assert.AreEqual(TimeSpan.FromMilliseconds(2500), o.HeadersTimeout);
        Assert.AreEqual(TimeSpan.FromSeconds(15), o.KeepAliveTimeout);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ServerOptions.Parse(["--headers-timeout-ms", "0"])).Message, "--headers-timeout-ms needs an integer ≥ 1");
    }
}
