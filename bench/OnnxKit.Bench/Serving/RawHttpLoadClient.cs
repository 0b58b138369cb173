using System.Buffers.Text;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// A closed-loop HTTP/1.1 load generator in the manner of <c>wrk</c>: each client owns one keep-alive socket, sends a
/// request serialised once up front, and reads the answer by its status line and <c>Content-Length</c>. It spends a
/// fraction of <see cref="HttpClient"/>'s CPU per request, which on a 2-core machine shared with the server is CPU the
/// server gets back. Every answer is checked: a status other than 200, a missing <c>Content-Length</c> or a closed
/// connection counts as a failure (and a closed connection is reopened).
/// </summary>
internal static class RawHttpLoadClient
{
    public static async Task<LoadResult> RunAsync(Uri url, RequestBody body, int concurrency, TimeSpan duration, TimeSpan warmUp)
    {
        byte[] request = Serialize(url, body);
        var latencies = new List<double>[concurrency];
        long failures = 0;
        var process = Process.GetCurrentProcess();

        await Loop(DateTime.UtcNow + warmUp, record: false);
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Loop(DateTime.UtcNow + duration, record: true);
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;

        var all = latencies.SelectMany(l => l).OrderBy(v => v).ToArray();
        return new LoadResult(concurrency, all.Length, failures, seconds,
            all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(0.50 * all.Length) - 1)],
            all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(0.99 * all.Length) - 1)], cpu);

        async Task Loop(DateTime until, bool record)
        {
            var workers = Enumerable.Range(0, concurrency).Select(async w =>
            {
                var mine = latencies[w] = record ? new List<double>(4096) : [];
                var buffer = new byte[64 * 1024];
                Socket? socket = null;
                try
                {
                    while (DateTime.UtcNow < until)
                    {
                        socket ??= await ConnectAsync(url);
                        long t0 = Stopwatch.GetTimestamp();
                        int status;
                        try
                        {
                            await socket.SendAsync(request, SocketFlags.None);
                            status = await ReadResponseAsync(socket, buffer);
                        }
                        catch (Exception e) when (e is SocketException or IOException or FormatException)
                        {
                            Interlocked.Increment(ref failures);
                            socket.Dispose();
                            socket = null;
                            continue;
                        }
                        if (status != 200) { Interlocked.Increment(ref failures); continue; }
                        if (record) mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }
                }
                finally { socket?.Dispose(); }
            }).ToArray();
            await Task.WhenAll(workers);
        }
    }

    private static async Task<Socket> ConnectAsync(Uri url)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(url.Host, url.Port);
        return socket;
    }

    private static byte[] Serialize(Uri url, RequestBody body)
    {
        var head = new StringBuilder()
            .Append("POST ").Append(url.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(url.Authority).Append("\r\n")
            .Append("Content-Type: ").Append(body.ContentType).Append("\r\n")
            .Append("Content-Length: ").Append(body.Bytes.Length).Append("\r\n");
        if (body.BinaryHeaderLength is int h) head.Append("Inference-Header-Content-Length: ").Append(h).Append("\r\n");
        head.Append("\r\n");
        var headBytes = Encoding.ASCII.GetBytes(head.ToString());
        return [.. headBytes, .. body.Bytes];
    }

    /// <summary>Reads one whole response (head and a Content-Length body) and returns its status code.</summary>
    private static async Task<int> ReadResponseAsync(Socket socket, byte[] buffer)
    {
        int filled = 0, headEnd = -1;
        while (headEnd < 0)
        {
            if (filled == buffer.Length) throw new FormatException("response head longer than the read buffer");
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
            if (n == 0) throw new IOException("the server closed the connection");
            filled += n;
            headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
        }
        var (status, length) = ParseHead(buffer.AsSpan(0, headEnd));
        long remaining = headEnd + 4 + length - filled;
        while (remaining > 0)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(remaining, buffer.Length)), SocketFlags.None);
            if (n == 0) throw new IOException("the server closed the connection mid-body");
            remaining -= n;
        }
        if (remaining < 0) throw new FormatException("more bytes than Content-Length (this client does not pipeline)");
        return status;
    }

    private static (int Status, long Length) ParseHead(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.1 200 OK"
        if (head.Length < 12 || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
            throw new FormatException("response does not start with an HTTP/1.1 status line");
        long length = -1;
        foreach (var range in head.Split("\r\n"u8))
        {
            var line = head[range];
            const string name = "content-length:";
            if (line.Length > name.Length && Ascii.EqualsIgnoreCase(line[..name.Length], name))
            {
                var value = line[name.Length..].Trim((byte)' ');
                if (!Utf8Parser.TryParse(value, out length, out int used) || used != value.Length)
                    throw new FormatException("unreadable Content-Length");
            }
        }
        if (length < 0) throw new FormatException("response without Content-Length (chunked answers are not supported by this client)");
        return (status, length);
    }
}
