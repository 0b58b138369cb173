using System.IO.Compression;

namespace OnnxKit.Training.Data;

/// <summary>Reads a whole file, transparently decompressing it when it is gzipped (recognised by its magic bytes, not its name).</summary>
internal static class FileBytes
{
    public static byte[] ReadMaybeGzipped(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' does not exist", path);
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1F || raw[1] != 0x8B) return raw;
        try
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream(raw.Length * 2);
            gz.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': corrupt or truncated gzip stream ({e.Message})", e);
        }
    }
}
