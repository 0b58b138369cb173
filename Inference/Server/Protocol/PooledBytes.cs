using System.Buffers;

namespace OnnxKit.Server;

/// <summary>Bytes in a growing buffer rented from the shared pool (a request body, a response being written); disposing returns it.</summary>
internal sealed class PooledBytes(int capacity) : IBufferWriter<byte>, IDisposable
{
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, capacity));

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBytes));

    /// <summary>The free part of the buffer, which is doubled first when full.</summary>
    public Memory<byte> FreeSpace()
    {
        if (Length == Buffer.Length) Grow();
        return Buffer.AsMemory(Length);
    }

    private void Grow()
    {
        var bigger = ArrayPool<byte>.Shared.Rent(checked(Math.Max(Buffer.Length, 256) * 2));
        Buffer.AsSpan(0, Length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(Buffer);
        _buffer = bigger;
    }

    public void Advance(int count) => Length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        while (Buffer.Length - Length < Math.Max(1, sizeHint)) Grow();
        return Buffer.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } b) ArrayPool<byte>.Shared.Return(b);
    }
}
