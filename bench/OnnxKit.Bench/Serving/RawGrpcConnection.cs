using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// A closed-loop gRPC load generator in the manner of h2load and ghz, and the HTTP/2 twin of
/// <see cref="RawHttpConnection"/>: each client owns one HTTP/2 connection without TLS (h2c, prior knowledge) and sends
/// the same frames for every call, encoded once up front (the header block in HPACK literals without indexing, so it
/// needs no header-table state). Grpc.Net.Client instead builds each call through HttpClient's HTTP/2 stack, which on a
/// machine whose cores the server shares costs the server more than the call itself. Unary: each call is HEADERS and
/// DATA on the next odd stream id, answered when its stream ends after a DATA frame carrying one gRPC message (the
/// server answers an error trailers-only, without one). Streaming (<see cref="Frames.Open"/> set): the HEADERS open one
/// stream per connection, each call is one gRPC message in DATA on it, and is answered when one whole message has come
/// back on that stream (one request in flight per client, as unary). The first answer on each connection is also
/// parsed as a <see cref="ModelInferResponse"/> (streaming: a <see cref="ModelStreamInferResponse"/> without an error)
/// that must hold outputs, and later ones must be as long. The client acknowledges SETTINGS and PING, opens its receive
/// windows to the maximum at the start and tracks the server's connection and stream windows before each send.
/// </summary>
internal sealed class RawGrpcConnection(Uri address, RawGrpcConnection.Frames frames) : ILoadConnection
{
    private const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, WindowUpdate = 8;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8;
    private const int MaxFrame = 16384, MaxWindow = int.MaxValue, InitialWindowSetting = 4;

    private readonly byte[] _call = (byte[])frames.Wire.Clone();
    private readonly byte[]? _open = frames.Open is { } open ? (byte[])open.Clone() : null;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;
    private Socket? _socket;
    private uint _stream, _next;
    private long _sendWindow, _streamWindow, _initialStreamWindow, _received;
    private bool _streamOpen;
    private int _answerLength = -1;

    /// <summary>One call as sent on the wire with the places of its stream id; <paramref name="Open"/>, when streaming:
    /// the HEADERS frame that opens the stream (its stream id at offset 5).</summary>
    internal sealed record Frames(byte[] Wire, int[] StreamIdOffsets, int DataLength, byte[]? Open = null);

    /// <summary>Encodes a call of <paramref name="method"/> (<c>/package.Service/Method</c>) with <paramref name="message"/>:
    /// a unary call, or with <paramref name="streaming"/> one message of a client stream opened once.</summary>
    public static Frames Encode(Uri address, string method, IMessage message, bool streaming = false)
    {
        var block = new List<byte> { 0x83, 0x86 }; // :method POST, :scheme http (static table, indexed)
        void Literal(int nameIndex, string? name, string value)
        {
            // Literal header field without indexing: an indexed name below 15 fits the 4-bit prefix (content-type, 31, does not).
            if (nameIndex is > 0 and < 15) block.Add((byte)nameIndex);
            else if (nameIndex >= 15) { block.Add(0x0F); block.Add((byte)(nameIndex - 15)); }
            else { block.Add(0x00); String(name!); }
            String(value);
        }
        void String(string s)
        {
            var bytes = Encoding.ASCII.GetBytes(s);
            if (bytes.Length >= 127) throw new NotSupportedException($"header value '{s}' is too long for this client");
            block.Add((byte)bytes.Length);
            block.AddRange(bytes);
        }
        Literal(4, null, method);               // :path
        Literal(1, null, address.Authority);    // :authority
        Literal(31, null, "application/grpc");  // content-type
        Literal(0, "te", "trailers");

        var body = message.ToByteArray();
        var payload = new byte[5 + body.Length]; // gRPC message: not compressed, big-endian length, the message
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), (uint)body.Length);
        body.CopyTo(payload, 5);

        var wire = new List<byte>();
        var offsets = new List<int>();
        void Frame(byte type, byte flags, ReadOnlySpan<byte> content)
        {
            var head = new byte[9];
            head[0] = (byte)(content.Length >> 16); head[1] = (byte)(content.Length >> 8); head[2] = (byte)content.Length;
            head[3] = type; head[4] = flags;
            offsets.Add(wire.Count + 5);
            wire.AddRange(head);
            wire.AddRange(content.ToArray());
        }
        Frame(Headers, EndHeaders, block.ToArray());
        byte[]? open = null;
        if (streaming)
        {
            open = wire.ToArray();
            (wire, offsets) = ([], []);
        }
        for (int at = 0; at < payload.Length; at += MaxFrame)
        {
            int n = Math.Min(MaxFrame, payload.Length - at);
            Frame(Data, at + n == payload.Length && !streaming ? EndStream : (byte)0, payload.AsSpan(at, n));
        }
        return new Frames(wire.ToArray(), offsets.ToArray(), payload.Length, open);
    }

    public async Task<bool> SendAsync()
    {
        try
        {
            _socket ??= await ConnectAsync();
            if (_open is null || !_streamOpen)
            {
                (_stream, _next, _streamWindow) = (_next, _next + 2, _initialStreamWindow);
                foreach (int at in frames.StreamIdOffsets) BinaryPrimitives.WriteUInt32BigEndian(_call.AsSpan(at), _stream);
                if (_open is not null)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(_open.AsSpan(5), _stream);
                    await _socket.SendAsync(_open, SocketFlags.None);
                    _streamOpen = true;
                }
            }
            while (_sendWindow < frames.DataLength || _streamWindow < frames.DataLength) await ReadFrameAsync();
            await _socket.SendAsync(_call, SocketFlags.None);
            _sendWindow -= frames.DataLength;
            _streamWindow -= frames.DataLength;
            return await ReadAnswerAsync();
        }
        catch (Exception e) when (e is SocketException or IOException or FormatException or InvalidProtocolBufferException)
        {
            _socket?.Dispose();
            _socket = null; // reconnect on the next call
            return false;
        }
    }

    public void Dispose() => _socket?.Dispose();

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(address.Host, address.Port);
        var hello = new List<byte>("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        // SETTINGS: ENABLE_PUSH 0, INITIAL_WINDOW_SIZE max; then the connection window raised to the max as well.
        hello.AddRange(FrameHead(12, Settings, 0, 0));
        hello.AddRange(new byte[] { 0, 2, 0, 0, 0, 0, 0, 4, 0x7F, 0xFF, 0xFF, 0xFF });
        hello.AddRange(FrameHead(4, WindowUpdate, 0, 0));
        hello.AddRange(BigEndian((uint)(MaxWindow - 65535)));
        await socket.SendAsync(hello.ToArray(), SocketFlags.None);
        (_start, _end, _next, _sendWindow, _initialStreamWindow, _received, _streamOpen) = (0, 0, 1, 65535, 65535, 0, false);
        return socket;
    }

    // Reads frames until this call is answered (unary: its stream ends; streaming: one whole message came back on the
    // stream); true when it carried one gRPC message of the expected length.
    private async Task<bool> ReadAnswerAsync()
    {
        bool streaming = _open is not null;
        int message = -1, read = 0;
        var first = _answerLength < 0 ? new MemoryStream() : null;
        while (true)
        {
            var (type, flags, length, id) = await ReadFrameAsync();
            if (id != _stream) continue;
            if (type == RstStream) { _streamOpen = false; return false; }
            if (type == Data)
            {
                var content = _buffer.AsSpan(_start - length, length);
                if ((flags & Padded) != 0) content = content[1..^content[0]];
                if (message < 0 && content.Length >= 5) message = (int)BinaryPrimitives.ReadUInt32BigEndian(content[1..]);
                read += content.Length;
                first?.Write(content);
            }
            if ((flags & EndStream) != 0 && type is Data or Headers)
            {
                _streamOpen = false;
                if (streaming) return false; // the server ended the stream: the next call opens another
                break;
            }
            if (streaming && message >= 0 && read >= 5 + message) break;
        }
        if (message < 0) return false;
        if (first is not null)
        {
            var bytes = first.GetBuffer().AsSpan(5, (int)first.Length - 5);
            var answer = !streaming ? ModelInferResponse.Parser.ParseFrom(bytes)
                : ModelStreamInferResponse.Parser.ParseFrom(bytes) is { ErrorMessage: "" } s ? s.InferResponse : null;
            if (answer is null || answer.Outputs.Count == 0) return false;
            _answerLength = message;
        }
        return message == _answerLength;
    }

    // Reads one frame (consuming it; its content stays in the buffer until the next read) and answers the connection-level ones.
    private async Task<(byte Type, byte Flags, int Length, uint Stream)> ReadFrameAsync()
    {
        await FillAsync(9);
        int length = (_buffer[_start] << 16) | (_buffer[_start + 1] << 8) | _buffer[_start + 2];
        byte type = _buffer[_start + 3], flags = _buffer[_start + 4];
        uint id = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 5)) & 0x7FFFFFFF;
        if (length > _buffer.Length - 9) throw new FormatException($"HTTP/2 frame of {length} bytes is larger than this client reads");
        await FillAsync(9 + length);
        int at = _start + 9;
        _start = at + length;
        switch (type)
        {
            case Settings when (flags & Ack) == 0:
                for (int s = at; s + 6 <= at + length; s += 6)
                    if (BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(s)) == InitialWindowSetting)
                    {
                        long initial = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(s + 2));
                        _streamWindow += initial - _initialStreamWindow; // applies to the open stream as well (RFC 9113 6.9.2)
                        _initialStreamWindow = initial;
                    }
                await _socket!.SendAsync(FrameHead(0, Settings, Ack, 0), SocketFlags.None);
                break;
            case Ping when (flags & Ack) == 0:
                byte[] pong = [.. FrameHead(8, Ping, Ack, 0), .. _buffer.AsSpan(at, 8)];
                await _socket!.SendAsync(pong, SocketFlags.None);
                break;
            case WindowUpdate when id == 0:
                _sendWindow += BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(at)) & 0x7FFFFFFF;
                break;
            case WindowUpdate when id == _stream:
                _streamWindow += BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(at)) & 0x7FFFFFFF;
                break;
            case GoAway:
                throw new IOException("the server sent GOAWAY");
            case Data:
                _received += length;
                if (_received > MaxWindow / 2) // give back what was read, long before the window runs out
                {
                    byte[] update = [.. FrameHead(4, WindowUpdate, 0, 0), .. BigEndian((uint)_received)];
                    await _socket!.SendAsync(update, SocketFlags.None);
                    _received = 0;
                }
                break;
        }
        return (type, flags, length, id);
    }

    // Makes at least `count` unread bytes available from _start, compacting the buffer first when they would not fit.
    private async Task FillAsync(int count)
    {
        if (_start + count > _buffer.Length)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            (_end, _start) = (_end - _start, 0);
        }
        while (_end - _start < count)
        {
            int n = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
            if (n == 0) throw new IOException("the server closed the connection");
            _end += n;
        }
    }

    private static byte[] FrameHead(int length, byte type, byte flags, uint stream)
    {
        var head = new byte[9];
        head[0] = (byte)(length >> 16); head[1] = (byte)(length >> 8); head[2] = (byte)length;
        head[3] = type; head[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(5), stream);
        return head;
    }

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
