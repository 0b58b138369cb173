using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace OnnxKit.Tests.Data;

/// <summary>A temporary folder removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("onnxkit-data-").FullName;
    public string this[string relative] => System.IO.Path.Combine(Path, relative);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

/// <summary>Writers for small hand-made data files.</summary>
internal static class DataFixtures
{
    public static byte[] Idx(int[] dims, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Writes the four MNIST-style files (gzipped) with 2×2 training and test images; image i has all pixels = i + offset, label = labels[i].</summary>
    public static void WriteTinyMnist(string folder, long[] labels, byte offset = 0, bool gzip = true)
    {
        Directory.CreateDirectory(folder);
        int n = labels.Length;
        var pixels = Enumerable.Range(0, n).SelectMany(i => Enumerable.Repeat((byte)(i + offset), 4)).ToArray();
        var lab = labels.Select(l => (byte)l).ToArray();
        foreach (var split in new[] { "train", "t10k" })
        {
            var img = Idx([n, 2, 2], pixels);
            var lbl = Idx([n], lab);
            string ext = gzip ? ".gz" : "";
            File.WriteAllBytes(System.IO.Path.Combine(folder, $"{split}-images-idx3-ubyte{ext}"), gzip ? Gzip(img) : img);
            File.WriteAllBytes(System.IO.Path.Combine(folder, $"{split}-labels-idx1-ubyte{ext}"), gzip ? Gzip(lbl) : lbl);
        }
    }

    /// <summary>CIFAR-10 records: record r has label labels[r] and pixel (c, y, x) = (r + c + y + x) mod 256.</summary>
    public static byte[] CifarRecords(params byte[] labels)
    {
        var bytes = new byte[labels.Length * 3073];
        for (int r = 0; r < labels.Length; r++)
        {
            bytes[r * 3073] = labels[r];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        bytes[r * 3073 + 1 + c * 1024 + y * 32 + x] = (byte)((r + c + y + x) % 256);
        }
        return bytes;
    }
}
