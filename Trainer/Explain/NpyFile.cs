using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OnnxKit.IO;

namespace OnnxKit.Explain;

/// <summary>
/// NumPy's <c>.npy</c> format (version 1.0) for float32 arrays in C order: a magic string, a Python-dict header padded
/// to 64 bytes, then the little-endian data; <c>numpy.load</c> reads it as is.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes <paramref name="data"/> of <paramref name="shape"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, float[] data, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Aggregate(1L, (a, d) => a * d) != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] does not hold {data.Length} values");
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var body = new MemoryStream();
        body.Write(Magic);
        body.WriteByte(1); body.WriteByte(0);
        body.Write(BitConverter.GetBytes((ushort)header.Length));
        body.Write(Encoding.ASCII.GetBytes(header));
        foreach (var v in data) body.Write(BitConverter.GetBytes(v));
        AtomicFile.WriteAllBytes(path, body.GetBuffer().AsSpan(0, (int)body.Length));
    }

    /// <summary>Reads a float32 C-order <c>.npy</c> file.</summary>
    /// <exception cref="InvalidDataException">Not a .npy file, or not float32 little-endian in C order.</exception>
    public static (float[] Data, long[] Shape) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a .npy file");
        int headerLength = bytes[6] == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToInt32(bytes, 8);
        int start = bytes[6] == 1 ? 10 : 12;
        if (start + headerLength > bytes.Length) throw new InvalidDataException($"'{path}' is truncated (header)");
        string header = Encoding.ASCII.GetString(bytes, start, headerLength);
        if (!header.Contains("'descr': '<f4'") || header.Contains("'fortran_order': True"))
            throw new InvalidDataException($"'{path}' holds {header.Trim()}; expected float32 ('<f4') in C order");
        var m = ShapePattern().Match(header);
        if (!m.Success) throw new InvalidDataException($"'{path}' has no shape in its header");
        long[] shape = m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (a, d) => a * d);
        int dataStart = start + headerLength;
        if (bytes.Length - dataStart != count * 4) throw new InvalidDataException($"'{path}' holds {(bytes.Length - dataStart) / 4} values, its shape [{string.Join(", ", shape)}] needs {count}");
        var data = new float[count];
        Buffer.BlockCopy(bytes, dataStart, data, 0, (int)count * 4);
        return (data, shape);
    }

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
