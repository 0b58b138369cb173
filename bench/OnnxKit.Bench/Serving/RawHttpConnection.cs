using System.Buffers.Text;
using System.Net.Sockets;
using System.Text;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// A closed-loop HTTP/1.1 load generator in the manner of <c>wrk</c>: each client owns one keep-alive socket, sends a
/// request serialised once up front, and reads the answer by its status line and <c>Content-Length</c>. It spends
/// less CPU per request than <see cref="HttpClient"/> (on a 2-core machine shared with the server, CPU the server gets
/// back; most of what remains is the kernel's loopback TCP, charged to the sender). Every answer is checked: a status
/// other than 200, a missing <c>Content-Length</c> or a closed connection counts as a failure (and a closed connection
/// is reopened).
/// </summary>
internal sealed class RawHttpConnection(Uri url, byte[] request) : ILoadConnection
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private Socket? _socket;

    public async Task<bool> SendAsync()
    {
        try
        {
            _socket ??= await ConnectAsync(url);
            await _socket.SendAsync(request, SocketFlags.None);
            return await ReadResponseAsync(_socket, _buffer) == 200;
        }
        catch (Exception e) when (e is SocketException or IOException or FormatException)
        {
            _socket?.Dispose();
            _socket = null; // reconnect on the next request
            return false;
        }
    }

    public void Dispose() => _socket?.Dispose();

    private static async Task<Socket> ConnectAsync(Uri url)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(url.Host, url.Port);
        return socket;
    }

    /// <summary>The whole request (head and body) as sent on the wire, built once.</summary>
    public static byte[] Serialize(Uri url, RequestBody body)
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
        if (length == Chunked) return await ReadChunkedAsync(socket, buffer, headEnd + 4, filled) ? status : throw new IOException("the server closed the connection mid-body");
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
        bool chunked = false;
        foreach (var range in head.Split("\r\n"u8))
        {
            var line = head[range];
            if (Ascii.EqualsIgnoreCase(line, "transfer-encoding: chunked"u8)) chunked = true;
            const string name = "content-length:";
            if (line.Length > name.Length && Ascii.EqualsIgnoreCase(line[..name.Length], name))
            {
                var value = line[name.Length..].Trim((byte)' ');
                if (!Utf8Parser.TryParse(value, out length, out int used) || used != value.Length)
                    throw new FormatException("unreadable Content-Length");
            }
        }
        if (length < 0 && chunked) return (status, Chunked);
        if (length < 0) throw new FormatException("response without Content-Length or chunked transfer encoding");
        return (status, length);
    }

    private const long Chunked = -2;

    // A chunked body (ASP.NET Core's answer when the handler does not set Content-Length, as Results.Json) ends with
    // the zero-length chunk "0\r\n\r\n"; this client sends no trailers and does not pipeline, so the end of the
    // bytes received is enough to tell. The last few bytes are carried across reads.
    private static async Task<bool> ReadChunkedAsync(Socket socket, byte[] buffer, int bodyStart, int filled)
    {
        var end = "\r\n0\r\n\r\n"u8.ToArray();
        var tail = new byte[end.Length];
        int tailLength = 0;
        void Keep(ReadOnlySpan<byte> got)
        {
            var joined = new byte[tailLength + got.Length];
            tail.AsSpan(0, tailLength).CopyTo(joined);
            got.CopyTo(joined.AsSpan(tailLength));
            tailLength = Math.Min(end.Length, joined.Length);
            joined.AsSpan(joined.Length - tailLength).CopyTo(tail);
        }
        Keep(buffer.AsSpan(bodyStart - 2, filled - bodyStart + 2)); // from the head's last CRLF, so an empty body matches too
        while (!tail.AsSpan(0, tailLength).SequenceEqual(end))
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0) return false;
            Keep(buffer.AsSpan(0, n));
        }
        return true;
    }
}
