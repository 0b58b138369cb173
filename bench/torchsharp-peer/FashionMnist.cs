using System.Buffers.Binary;
using System.IO.Compression;
using static TorchSharp.torch;

namespace OnnxKit.Bench.TorchSharpPeer;

/// <summary>The gzipped IDX files of Fashion-MNIST.</summary>
internal static class FashionMnist
{
    /// <summary>
    /// The training set as tensors: images [N, 28, 28] scaled to [0, 1], labels as class indices. The scaling runs in
    /// libtorch on the bytes, so the process never holds a managed float copy next to the tensor (its peak RSS is compared).
    /// </summary>
    public static (Tensor Images, Tensor Labels) LoadTrain(string dir)
    {
        var px = ReadIdx(Path.Combine(dir, "train-images-idx3-ubyte.gz"));
        var lb = ReadIdx(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        using var bytes = tensor(px, [lb.Length, 28, 28]);
        using var labelBytes = tensor(lb, [lb.Length]);
        return (bytes.to_type(ScalarType.Float32).div_(255f), labelBytes.to_type(ScalarType.Int64));
    }

    private static byte[] ReadIdx(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Fashion-MNIST file {path} not found: pass --data DIR with the four IDX .gz files");
        using var z = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        z.CopyTo(ms);
        var all = ms.ToArray();
        int dims = all[3];
        long count = 1;
        for (int i = 0; i < dims; i++) count *= BinaryPrimitives.ReadInt32BigEndian(all.AsSpan(4 + 4 * i));
        int offset = 4 + 4 * dims;
        if (all.Length - offset != count) throw new InvalidDataException($"{path}: header says {count} bytes of data, file has {all.Length - offset}");
        return all[offset..];
    }
}
