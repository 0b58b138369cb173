using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxKit.IR;
using OnnxKit.IO;

namespace OnnxKit.Training.Checkpoints;

/// <summary>One named tensor of a checkpoint.</summary>
/// <param name="Name">State-dict style name.</param>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Bytes">Raw little-endian data.</param>
public sealed record NamedTensor(string Name, ElementType Type, long[] Shape, byte[] Bytes)
{
    /// <summary>A float32 tensor.</summary>
    public static NamedTensor FromFloats(string name, float[] data, long[] shape) => new(name, ElementType.Float32, shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
    /// <summary>The data as float32 (the tensor must be float32).</summary>
    public float[] ToFloats() => Type == ElementType.Float32 ? MemoryMarshal.Cast<byte, float>(Bytes).ToArray()
        : throw new InvalidOperationException($"tensor '{Name}' is {Type.OnnxName()}, not float");
}

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw data), which PyTorch users load with a few lines.
/// Writing is atomic: a temporary file renamed over the target, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<ElementType, string> DTypes = new()
    {
        [ElementType.Float32] = "F32", [ElementType.Float64] = "F64", [ElementType.Float16] = "F16", [ElementType.BFloat16] = "BF16",
        [ElementType.Int64] = "I64", [ElementType.Int32] = "I32", [ElementType.Int16] = "I16", [ElementType.Int8] = "I8",
        [ElementType.UInt8] = "U8", [ElementType.Bool] = "BOOL", [ElementType.UInt16] = "U16", [ElementType.UInt32] = "U32", [ElementType.UInt64] = "U64",
    };

    /// <summary>Writes tensors and string metadata to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var kv in metadata) meta[kv.Key] = kv.Value;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var t in list)
        {
            if (!DTypes.TryGetValue(t.Type, out var dt)) throw new NotSupportedException($"tensor '{t.Name}': type {t.Type.OnnxName()} cannot be stored in safetensors");
            long expected = t.Shape.Aggregate(1L, (a, d) => a * d) * t.Type.SizeOf();
            if (expected != t.Bytes.Length) throw new ArgumentException($"tensor '{t.Name}': {t.Bytes.Length} bytes for shape [{string.Join(", ", t.Shape)}] of {t.Type.OnnxName()} (expected {expected})");
            header[t.Name] = new JsonObject
            {
                ["dtype"] = dt,
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + t.Bytes.Length),
            };
            offset += t.Bytes.Length;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to a multiple of 8 so the data is aligned.
        int pad = (8 - headerBytes.Length % 8) % 8;
        AtomicFile.Write(path, f =>
        {
            f.Write(BitConverter.GetBytes((ulong)(headerBytes.Length + pad)));
            f.Write(headerBytes);
            for (int i = 0; i < pad; i++) f.WriteByte((byte)' ');
            foreach (var t in list) f.Write(t.Bytes);
        });
    }

    /// <summary>Reads a safetensors file: tensors in file order and the metadata.</summary>
    public static (List<NamedTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"checkpoint '{path}' is truncated: {bytes.Length} bytes, a safetensors file starts with an 8-byte header length");
        ulong headerLen = BitConverter.ToUInt64(bytes, 0);
        if (headerLen > (ulong)(bytes.Length - 8)) throw new InvalidDataException($"checkpoint '{path}' is truncated or corrupt: header of {headerLen} bytes in a {bytes.Length}-byte file");
        JsonObject header;
        try { header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLen))!.AsObject(); }
        catch (JsonException e) { throw new InvalidDataException($"checkpoint '{path}' has a corrupt JSON header: {e.Message}", e); }
        long dataStart = 8 + (long)headerLen;
        var meta = new Dictionary<string, string>();
        var tensors = new List<(long Begin, NamedTensor T)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") { foreach (var (k, v) in node!.AsObject()) meta[k] = v!.GetValue<string>(); continue; }
            var o = node!.AsObject();
            string dt = o["dtype"]!.GetValue<string>();
            var type = DTypes.FirstOrDefault(kv => kv.Value == dt).Key;
            if (type == ElementType.Undefined) throw new InvalidDataException($"checkpoint '{path}': tensor '{name}' has unsupported dtype '{dt}'");
            var shape = o["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offs = o["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            long len = offs[1] - offs[0];
            if (offs[0] < 0 || len < 0 || dataStart + offs[1] > bytes.Length)
                throw new InvalidDataException($"checkpoint '{path}' is truncated: tensor '{name}' needs bytes {offs[0]}..{offs[1]} of the data section, the file has {bytes.Length - dataStart}");
            if (len != shape.Aggregate(1L, (a, d) => a * d) * type.SizeOf())
                throw new InvalidDataException($"checkpoint '{path}': tensor '{name}' has {len} bytes, its shape [{string.Join(", ", shape)}] needs {shape.Aggregate(1L, (a, d) => a * d) * type.SizeOf()}");
            tensors.Add((offs[0], new NamedTensor(name, type, shape, bytes.AsSpan((int)(dataStart + offs[0]), (int)len).ToArray())));
        }
        return (tensors.OrderBy(t => t.Begin).Select(t => t.T).ToList(), meta);
    }
}
