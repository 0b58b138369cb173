namespace OnnxKit.Training.Data;

/// <summary>
/// Reads CIFAR-10 binary batches (<c>data_batch_1.bin</c> … <c>test_batch.bin</c>): each record is one label byte
/// followed by 3072 pixel bytes, the 32×32 red plane, then green, then blue — already channel-first.
/// </summary>
public static class Cifar10Reader
{
    /// <summary>Bytes per record: 1 label + 3 × 32 × 32 pixels.</summary>
    public const int RecordSize = 1 + 3 * 32 * 32;

    /// <summary>The ten class names, index = label.</summary>
    public static readonly IReadOnlyList<string> ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Reads one or more batch files into one dataset of samples [3, 32, 32] (0–255, or 0–1 when <paramref name="scale"/>).</summary>
    /// <exception cref="InvalidDataException">A file's length is not a whole number of records, or a label is not 0–9.</exception>
    public static TensorDataset ReadBatches(IReadOnlyList<string> paths, bool scale = true)
    {
        var files = paths.Select(p => (Path: p, Bytes: FileBytes.ReadMaybeGzipped(p))).ToArray();
        foreach (var (path, bytes) in files)
            if (bytes.Count == 0 || bytes.Count % RecordSize != 0)
                throw new InvalidDataException($"CIFAR-10 batch '{path}': expected a multiple of {RecordSize} bytes (1 label byte + 3072 pixel bytes per record), found {bytes.Count}");
        int total = files.Sum(f => f.Bytes.Count / RecordSize);
        var pixels = new float[(long)total * (RecordSize - 1)];
        var labels = new long[total];
        int n = 0;
        foreach (var (path, bytes) in files)
        {
            for (int r = 0; r < bytes.Count / RecordSize; r++, n++)
            {
                int offset = r * RecordSize;
                if (bytes[offset] >= ClassNames.Count)
                    throw new InvalidDataException($"CIFAR-10 batch '{path}': label {bytes[offset]} of record {r} is outside the class range [0, {ClassNames.Count})");
                labels[n] = bytes[offset];
                PixelTable.Convert(bytes.AsSpan(offset + 1, RecordSize - 1), pixels.AsSpan(n * (RecordSize - 1), RecordSize - 1), scale);
            }
        }
        return new TensorDataset(pixels, [3, 32, 32], labels, ClassNames, ClassNames.Count, string.Join(", ", paths));
    }
}
