using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>An output the client asked for, and whether it wants it as binary data.</summary>
public sealed record RequestedOutput(string Name, bool? Binary);

/// <summary>
/// A parsed Open Inference Protocol infer request. Tensors arrive as JSON (<c>data</c> flat or nested, row-major)
/// or, with the binary-data extension, as raw little-endian bytes after the JSON header
/// (header length in <c>Inference-Header-Content-Length</c>, each input's size in <c>parameters.binary_data_size</c>).
/// <para>NaN rule: JSON has no NaN literal; floating-point inputs may carry the strings <c>"NaN"</c>, <c>"Infinity"</c>,
/// <c>"-Infinity"</c> (and binary data may carry such values) only when the model's config sets <c>allow_nan</c>;
/// otherwise any non-finite element is a 400 naming the input and the element index.</para>
/// </summary>
public sealed class InferRequest
{
    /// <summary>The request id, echoed in the response.</summary>
    public string? Id { get; private init; }
    /// <summary>Inputs by name.</summary>
    public required Dictionary<string, TensorValue> Inputs { get; init; }
    /// <summary>Outputs asked for (null: all).</summary>
    public List<RequestedOutput>? Outputs { get; private init; }
    /// <summary>Request-level <c>parameters.binary_data_output</c>.</summary>
    public bool BinaryOutput { get; private init; }

    // The envelope lacks the taken data arrays, so its byte positions can be short; the whole request gives the exact place.
    private static ProtocolException Malformed(ReadOnlyMemory<byte> json, JsonException e)
    {
        try { using var _ = JsonDocument.Parse(json); }
        catch (JsonException exact) { e = exact; }
        return new ProtocolException(400, $"malformed JSON: {e.Message}");
    }

    /// <summary>Parses the request for a model; every problem is a <see cref="ProtocolException"/> (400) naming it.</summary>
    /// <param name="json">The JSON part of the body.</param>
    /// <param name="binary">The binary part (empty without the binary-data extension).</param>
    /// <param name="model">The model's name, for messages.</param>
    /// <param name="info">The model's inputs and outputs.</param>
    /// <param name="allowNan">Whether non-finite floating-point inputs are accepted.</param>
    /// <param name="answeredOutputs">The outputs the endpoint answers, when they are not the model's (explain answers its attributions).</param>
    public static InferRequest Parse(ReadOnlyMemory<byte> json, ReadOnlyMemory<byte> binary, string model, ModelInfo info, bool allowNan, IReadOnlyCollection<string>? answeredOutputs = null)
    {
        FlatDataArrays.Extracted flat;
        JsonDocument doc;
        try { flat = FlatDataArrays.Extract(json); }
        catch (JsonException e) { throw Malformed(json, e); }
        try { doc = JsonDocument.Parse(flat.Envelope); }
        catch (JsonException e) { flat.Dispose(); throw Malformed(json, e); }
        using (flat)
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad($"the request must be a JSON object with an 'inputs' array, got {root.ValueKind}");
            if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
                throw Bad("the request needs an 'inputs' array");
            var result = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
            int binaryOffset = 0, position = 0;
            foreach (var input in inputs.EnumerateArray())
            {
                var raw = flat.Arrays.TryGetValue(position++, out var r) ? r : (ReadOnlyMemory<byte>?)null;
                var (name, tensor) = ParseInput(input, raw, model, info, allowNan, binary, ref binaryOffset);
                if (!result.TryAdd(name, tensor)) throw Bad($"input '{name}' is given twice");
            }
            if (binaryOffset != binary.Length)
                throw Bad($"the binary part has {binary.Length} bytes but the inputs' binary_data_size add up to {binaryOffset}");
            List<RequestedOutput>? outputs = null;
            if (root.TryGetProperty("outputs", out var outs))
            {
                if (outs.ValueKind != JsonValueKind.Array) throw Bad("'outputs' must be an array");
                outputs = [];
                foreach (var o in outs.EnumerateArray())
                {
                    string oname = o.ValueKind == JsonValueKind.Object && o.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                        ? n.GetString()! : throw Bad("each requested output needs a 'name' string");
                    if (answeredOutputs is null) InputSpec.CheckOutput(model, info, oname);
                    else if (!answeredOutputs.Contains(oname)) throw Bad($"there is no output '{oname}' here; this endpoint answers: {string.Join(", ", answeredOutputs)}");
                    bool? bin = o.TryGetProperty("parameters", out var op) && op.ValueKind == JsonValueKind.Object && op.TryGetProperty("binary_data", out var b)
                        ? b.ValueKind == JsonValueKind.True : null;
                    outputs.Add(new RequestedOutput(oname, bin));
                }
            }
            bool binaryOutput = root.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("binary_data_output", out var bo) && bo.ValueKind == JsonValueKind.True;
            string? id = root.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String ? idEl.GetString() : null;
            return new InferRequest { Id = id, Inputs = result, Outputs = outputs, BinaryOutput = binaryOutput };
        }
    }

    // flatData: the input's data array when FlatDataArrays took it out of the envelope (where "data" is now "[ ]").
    private static (string, TensorValue) ParseInput(JsonElement input, ReadOnlyMemory<byte>? flatData, string model, ModelInfo info, bool allowNan, ReadOnlyMemory<byte> binary, ref int binaryOffset)
    {
        if (input.ValueKind != JsonValueKind.Object) throw Bad("each input must be an object with name, shape, datatype and data");
        if (!input.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String) throw Bad("an input has no 'name' string");
        string name = n.GetString()!;
        if (!input.TryGetProperty("datatype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(info.Input(name) is { } declared ? $"input '{name}' has no 'datatype' (expected {declared.ProtocolDatatype})"
                : $"model '{model}' has no input '{name}'; its inputs are: {string.Join(", ", info.Inputs)}");
        var (spec, type) = InputSpec.Check(model, info, name, dt.GetString()!);
        if (!input.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad($"input '{name}' has no 'shape' array (the model expects {spec.ShapeText})");
        var shape = new long[sh.GetArrayLength()];
        int k = 0;
        foreach (var d in sh.EnumerateArray())
            shape[k++] = d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var v) && v >= 0 ? v
                : throw Bad($"input '{name}': shape entries must be non-negative integers, got {sh.GetRawText()}");
        long count;
        try { count = shape.Aggregate(1L, (a, d) => checked(a * d)); }
        catch (OverflowException) { throw Bad($"input '{name}': shape {sh.GetRawText()} is too large"); }

        Array data;
        if (input.TryGetProperty("parameters", out var ps) && ps.ValueKind == JsonValueKind.Object && ps.TryGetProperty("binary_data_size", out var bs))
        {
            int size = bs.TryGetInt32(out var s) && s >= 0 ? s : throw Bad($"input '{name}': binary_data_size must be a non-negative integer");
            if (binaryOffset + (long)size > binary.Length)
                throw Bad($"input '{name}': binary_data_size {size} runs past the end of the binary part ({binary.Length - binaryOffset} bytes left)");
            int elem = ElementTypes.Size(type);
            if (size != count * elem)
                throw Bad($"input '{name}': shape {TensorValue.ShapeText(shape)} needs {count} elements ({count * elem} bytes of {ElementTypes.ProtocolName(type)}), binary data has {size} bytes");
            data = Array.CreateInstance(ElementTypes.ClrType(type), count);
            var src = binary.Span.Slice(binaryOffset, size);
            if (data is bool[] bools) for (int i = 0; i < size; i++) bools[i] = src[i] != 0;
            else src.CopyTo(MemoryMarshal.AsBytes(AsSpanOf(data)));
            binaryOffset += size;
        }
        else
        {
            if (!input.TryGetProperty("data", out var jd)) throw Bad($"input '{name}' has no 'data'");
            long have = flatData is { } fd ? FlatDataArrays.Count(fd.Span) : CountLeaves(jd);
            if (have != count)
                throw Bad($"input '{name}': shape {TensorValue.ShapeText(shape)} needs {count} values, data has {have}");
            data = Array.CreateInstance(ElementTypes.ClrType(type), count);
            if (flatData is { } flatBytes) FlatDataArrays.Fill(flatBytes.Span, data, type, name);
            else
            {
                int i = 0;
                Fill(jd, data, type, name, allowNan, ref i);
            }
        }
        if (!allowNan) RejectNonFinite(data, name);
        return (name, TensorValue.FromArray(data, shape));
    }

    private static Span<byte> AsSpanOf(Array a) => a switch
    {
        float[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        double[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        long[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        int[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        short[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        sbyte[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        ulong[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        uint[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        ushort[] x => MemoryMarshal.AsBytes(x.AsSpan()),
        byte[] x => x,
        _ => throw new NotSupportedException(a.GetType().Name),
    };

    private static long CountLeaves(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Array) return 1;
        long n = 0;
        foreach (var c in e.EnumerateArray()) n += CountLeaves(c);
        return n;
    }

    private static void Fill(JsonElement e, Array data, TensorElementType type, string name, bool allowNan, ref int i)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in e.EnumerateArray()) Fill(c, data, type, name, allowNan, ref i);
            return;
        }
        switch (data)
        {
            case float[] f: f[i] = (float)Floating(e, name, i, allowNan); break;
            case double[] d: d[i] = Floating(e, name, i, allowNan); break;
            case bool[] b:
                b[i] = e.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number when e.TryGetInt32(out var v) && v is 0 or 1 => v == 1,
                    _ => throw Bad($"input '{name}': element {i} is {e.GetRawText()}, expected true or false"),
                };
                break;
            default:
                FlatDataArrays.StoreInteger(data, i, Integer(e, name, i), name, type);
                break;
        }
        i++;
    }

    private static double Floating(JsonElement e, string name, int i, bool allowNan)
    {
        if (e.ValueKind == JsonValueKind.Number) return e.GetDouble();
        if (e.ValueKind == JsonValueKind.String)
        {
            double v = e.GetString() switch
            {
                "NaN" or "nan" => double.NaN,
                "Infinity" or "inf" or "+Infinity" => double.PositiveInfinity,
                "-Infinity" or "-inf" => double.NegativeInfinity,
                _ => throw Bad($"input '{name}': element {i} is the string {e.GetRawText()}, expected a number"),
            };
            if (!allowNan) throw NotFinite(name, i, v);
            return v;
        }
        throw Bad($"input '{name}': element {i} is {e.GetRawText()}, expected a number");
    }

    private static long Integer(JsonElement e, string name, int i) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) ? v
        : throw Bad($"input '{name}': element {i} is {e.GetRawText()}, expected an integer");

    internal static void RejectNonFinite(Array data, string name)
    {
        if (data is float[] f) { for (int i = 0; i < f.Length; i++) if (!float.IsFinite(f[i])) throw NotFinite(name, i, f[i]); }
        else if (data is double[] d) { for (int i = 0; i < d.Length; i++) if (!double.IsFinite(d[i])) throw NotFinite(name, i, d[i]); }
    }

    private static ProtocolException NotFinite(string name, int i, double v) =>
        Bad($"input '{name}': element {i} is {(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity")}; this model does not accept NaN or infinite values (set \"allow_nan\": true in its config.json to allow them)");

    private static ProtocolException Bad(string message) => new(400, message);
}
