using System.Buffers.Binary;
using System.IO.Compression;

namespace OnnxKit.Training.Data;

/// <summary>Reads a whole file, transparently decompressing it when it is gzipped (recognised by its magic bytes, not its name).</summary>
internal static class FileBytes
{
    // Deflate cannot expand data more than about 1032:1, so a larger size claim in the trailer is not to be trusted.
    private const long MaxDeflateRatio = 1032;

    public static ArraySegment<byte> ReadMaybeGzipped(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' does not exist", path);
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 18 || raw[0] != 0x1F || raw[1] != 0x8B) return raw;
        // The gzip trailer's last 4 bytes hold the uncompressed size (mod 2^32): size the buffer once, no regrowth or copy.
        long claimed = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4));
        int capacity = claimed <= Math.Min(MaxDeflateRatio * raw.Length, Array.MaxLength - 1) ? (int)claimed + 1 : (int)Math.Min(4L * raw.Length, Array.MaxLength);
        try
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            var output = new MemoryStream(capacity);
            gz.CopyTo(output);
            return new ArraySegment<byte>(output.GetBuffer(), 0, (int)output.Length);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': corrupt or truncated gzip stream ({e.Message})", e);
        }
    }
}
