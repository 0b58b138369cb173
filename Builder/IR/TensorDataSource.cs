namespace OnnxKit.IR;

/// <summary>
/// Bytes of a tensor that are not held inline in its <c>TensorProto</c>: a slice of an external-data file,
/// or data generated on demand (so a model of several GB can be built and saved without holding it in memory).
/// </summary>
public abstract class TensorDataSource
{
    /// <summary>Number of bytes.</summary>
    public abstract long Length { get; }

    /// <summary>Writes the bytes to a stream.</summary>
    public abstract void CopyTo(Stream destination);

    /// <summary>Reads all bytes (only for tensors under 2 GB).</summary>
    public byte[] ReadAll()
    {
        if (Length > Array.MaxLength) throw new InvalidOperationException($"tensor data of {Length} bytes is too large to read into one array");
        using var ms = new MemoryStream((int)Length);
        CopyTo(ms);
        return ms.ToArray();
    }
}

/// <summary>A byte range of a file (ONNX external data).</summary>
public sealed class FileSliceSource(string path, long offset, long length) : TensorDataSource
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
    /// <summary>Offset of the first byte.</summary>
    public long Offset { get; } = offset;
    /// <inheritdoc/>
    public override long Length { get; } = length;

    /// <inheritdoc/>
    public override void CopyTo(Stream destination)
    {
        using var f = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        if (f.Length < Offset + Length)
            throw new InvalidDataException($"external data file '{Path}' has {f.Length} bytes, but a tensor needs bytes {Offset}..{Offset + Length}");
        f.Position = Offset;
        var buf = new byte[1 << 20];
        long left = Length;
        while (left > 0)
        {
            int n = f.Read(buf, 0, (int)Math.Min(buf.Length, left));
            if (n <= 0) throw new EndOfStreamException($"external data file '{Path}' ended early");
            destination.Write(buf, 0, n);
            left -= n;
        }
    }
}

/// <summary>A tensor whose every element has the same byte pattern (e.g. zeros), generated while writing.</summary>
public sealed class FillSource(byte[] elementBytes, long elementCount) : TensorDataSource
{
    private readonly byte[] _element = (byte[])elementBytes.Clone();
    /// <inheritdoc/>
    public override long Length => _element.Length * elementCount;

    /// <inheritdoc/>
    public override void CopyTo(Stream destination)
    {
        const int chunkElements = 1 << 18;
        var chunk = new byte[_element.Length * chunkElements];
        for (int i = 0; i < chunkElements; i++) Buffer.BlockCopy(_element, 0, chunk, i * _element.Length, _element.Length);
        long left = elementCount;
        while (left > 0)
        {
            long n = Math.Min(left, chunkElements);
            destination.Write(chunk, 0, (int)(n * _element.Length));
            left -= n;
        }
    }
}
