using System.Buffers.Binary;

namespace OnnxKit.Training.Data;

/// <summary>The content of an IDX file: its dimensions and its unsigned-byte data.</summary>
/// <param name="Dimensions">Sizes from the header, outermost first.</param>
/// <param name="Data">The values, row-major.</param>
public sealed record IdxData(int[] Dimensions, ReadOnlyMemory<byte> Data);

/// <summary>
/// Reads IDX files (the MNIST family's format: magic <c>00 00 08 nd</c>, <c>nd</c> big-endian int32 sizes,
/// then unsigned bytes), gzipped or plain. Everything the header claims is checked against the file's length.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads any unsigned-byte IDX file.</summary>
    /// <exception cref="InvalidDataException">Bad magic number, element type other than unsigned byte, or a length that does not match the header.</exception>
    public static IdxData Read(string path)
    {
        ArraySegment<byte> bytes = FileBytes.ReadMaybeGzipped(path);
        if (bytes.Count < 4)
            throw new InvalidDataException($"IDX file '{path}': expected at least a 4-byte header, found {bytes.Count} bytes");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"IDX file '{path}': expected the magic number to start with 00 00, found {bytes[0]:X2} {bytes[1]:X2} (not an IDX file)");
        if (bytes[2] != UnsignedByteType)
            throw new InvalidDataException($"IDX file '{path}': expected element type 0x08 (unsigned byte), found 0x{bytes[2]:X2}");
        int rank = bytes[3];
        if (rank == 0)
            throw new InvalidDataException($"IDX file '{path}': expected at least one dimension, found 0");
        int headerLength = 4 + 4 * rank;
        if (bytes.Count < headerLength)
            throw new InvalidDataException($"IDX file '{path}': expected a {headerLength}-byte header for {rank} dimensions, found {bytes.Count} bytes");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] < 0) throw new InvalidDataException($"IDX file '{path}': dimension {d} is negative ({dims[d]})");
            count *= dims[d];
        }
        long expected = headerLength + count;
        if (bytes.Count != expected)
            throw new InvalidDataException(
                $"IDX file '{path}': header declares dimensions [{string.Join(", ", dims)}], so expected {expected} bytes " +
                $"({headerLength}-byte header + {count} values), found {bytes.Count}{(bytes.Count < expected ? " (truncated?)" : "")}");
        return new IdxData(dims, bytes[headerLength..]);
    }

    /// <summary>Reads images [N, rows, cols] as floats (0–255, or 0–1 when <paramref name="scale"/>).</summary>
    public static (float[] Pixels, int Count, int Rows, int Cols) ReadImages(string path, bool scale = false)
    {
        var idx = Read(path);
        if (idx.Dimensions.Length != 3)
            throw new InvalidDataException($"IDX file '{path}': expected 3 dimensions (images [N, rows, cols]), found {idx.Dimensions.Length} [{string.Join(", ", idx.Dimensions)}]");
        var pixels = new float[idx.Data.Length];
        PixelTable.Convert(idx.Data.Span, pixels, scale);
        return (pixels, idx.Dimensions[0], idx.Dimensions[1], idx.Dimensions[2]);
    }

    /// <summary>Reads labels [N] as class indices; with <paramref name="numClasses"/>, each must lie in [0, numClasses).</summary>
    public static long[] ReadLabels(string path, int? numClasses = null)
    {
        var idx = Read(path);
        if (idx.Dimensions.Length != 1)
            throw new InvalidDataException($"IDX file '{path}': expected 1 dimension (labels [N]), found {idx.Dimensions.Length} [{string.Join(", ", idx.Dimensions)}]");
        var labels = new long[idx.Data.Length];
        var data = idx.Data.Span;
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = data[i];
            if (numClasses is int k && labels[i] >= k)
                throw new InvalidDataException($"IDX file '{path}': label {labels[i]} at index {i} is outside the class range [0, {k})");
        }
        return labels;
    }

    /// <summary>Reads an image file and its label file as one dataset with samples of shape [1, rows, cols].</summary>
    public static TensorDataset ReadDataset(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null, bool scale = true)
    {
        var (pixels, n, rows, cols) = ReadImages(imagesPath, scale);
        var labels = ReadLabels(labelsPath, classNames?.Count);
        if (labels.Length != n)
            throw new InvalidDataException($"IDX files '{imagesPath}' and '{labelsPath}': expected as many labels as images ({n}), found {labels.Length} labels");
        return new TensorDataset(pixels, [1, rows, cols], labels, classNames, classNames?.Count, labelsPath);
    }
}
