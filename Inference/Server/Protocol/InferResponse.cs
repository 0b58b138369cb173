using System.Runtime.InteropServices;
using System.Text.Json;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>Writes an infer response: outputs as JSON <c>data</c>, or as binary data after the JSON header when asked.</summary>
internal static class InferResponse
{
    /// <summary>Writes the outputs the request asked for (all without an <c>outputs</c> list); <paramref name="parameters"/> writes the response's <c>parameters</c> object's members.</summary>
    public static Task WriteAsync(HttpContext ctx, string model, long version, InferRequest request, IReadOnlyDictionary<string, TensorValue> prediction, Action<Utf8JsonWriter>? parameters = null)
    {
        var selected = request.Outputs ?? prediction.Keys.Select(k => new RequestedOutput(k, null)).ToList();
        var tail = new List<ReadOnlyMemory<byte>>(); // filled while the JSON header is written, sent after it
        return Json.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("model_name", model);
            w.WriteString("model_version", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (request.Id is not null) w.WriteString("id", request.Id);
            if (parameters is not null)
            {
                w.WriteStartObject("parameters");
                parameters(w);
                w.WriteEndObject();
            }
            w.WriteStartArray("outputs");
            foreach (var o in selected)
            {
                var t = prediction[o.Name];
                w.WriteStartObject();
                w.WriteString("name", o.Name);
                w.WriteString("datatype", ElementTypes.ProtocolName(t.ElementType));
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                if (o.Binary ?? request.BinaryOutput)
                {
                    var bytes = Bytes(t.Data!);
                    tail.Add(bytes);
                    w.WriteStartObject("parameters");
                    w.WriteNumber("binary_data_size", bytes.Length);
                    w.WriteEndObject();
                }
                else
                {
                    w.WritePropertyName("data");
                    WriteData(w, t.Data!);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }, selected.Any(o => o.Binary ?? request.BinaryOutput) ? tail : null);
    }

    private static ReadOnlyMemory<byte> Bytes(Array a) => a switch
    {
        bool[] b => b.Select(x => (byte)(x ? 1 : 0)).ToArray(),
        float[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        double[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        long[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        int[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        short[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        sbyte[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        ulong[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        uint[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        ushort[] x => MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
        byte[] x => x,
        _ => throw new NotSupportedException(a.GetType().Name),
    };

    public static void WriteData(Utf8JsonWriter w, Array a)
    {
        w.WriteStartArray();
        switch (a)
        {
            case float[] f: foreach (var v in f) Json.Number(w, v); break;
            case double[] d: foreach (var v in d) Json.Number(w, v); break;
            case bool[] b: foreach (var v in b) w.WriteBooleanValue(v); break;
            case long[] l: foreach (var v in l) w.WriteNumberValue(v); break;
            case int[] l: foreach (var v in l) w.WriteNumberValue(v); break;
            case ulong[] l: foreach (var v in l) w.WriteNumberValue(v); break;
            default: foreach (var v in a) w.WriteNumberValue(Convert.ToInt64(v)); break;
        }
        w.WriteEndArray();
    }
}
