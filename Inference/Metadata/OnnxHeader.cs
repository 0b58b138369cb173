using System.Text;

namespace OnnxKit.Inference;

/// <summary>
/// Reads the top-level scalar fields of an ONNX <c>ModelProto</c> (IR version, producer, opset imports) that
/// ONNX Runtime does not expose, without parsing the graph: the graph and its weights are skipped by length.
/// Hand-written because the Inference component carries no protobuf schema.
/// </summary>
internal sealed class OnnxHeader
{
    public long IrVersion { get; private set; }
    public string ProducerName { get; private set; } = "";
    public string ProducerVersion { get; private set; } = "";
    public Dictionary<string, long> Opsets { get; } = [];

    // ModelProto field numbers (onnx.proto).
    private const int IrVersionField = 1, ProducerNameField = 2, ProducerVersionField = 3, OpsetImportField = 8;

    public static OnnxHeader Read(Stream s)
    {
        var h = new OnnxHeader();
        while (s.Position < s.Length)
        {
            ulong key = ReadVarint(s);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    ulong v = ReadVarint(s);
                    if (field == IrVersionField) h.IrVersion = (long)v;
                    break;
                case 1: s.Seek(8, SeekOrigin.Current); break;
                case 5: s.Seek(4, SeekOrigin.Current); break;
                case 2:
                    long len = (long)ReadVarint(s);
                    if (len < 0 || s.Position + len > s.Length) throw new InvalidDataException("truncated field in the model file");
                    if (field is ProducerNameField or ProducerVersionField or OpsetImportField)
                    {
                        var buf = new byte[len];
                        s.ReadExactly(buf);
                        if (field == ProducerNameField) h.ProducerName = Encoding.UTF8.GetString(buf);
                        else if (field == ProducerVersionField) h.ProducerVersion = Encoding.UTF8.GetString(buf);
                        else h.ReadOpset(buf);
                    }
                    else s.Seek(len, SeekOrigin.Current);
                    break;
                default: throw new InvalidDataException($"unexpected protobuf wire type {wire} at top level of the model file");
            }
        }
        return h;
    }

    private void ReadOpset(byte[] buf)
    {
        using var s = new MemoryStream(buf);
        string domain = ""; long version = 0;
        while (s.Position < s.Length)
        {
            ulong key = ReadVarint(s);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (wire == 0) { ulong v = ReadVarint(s); if (field == 2) version = (long)v; }
            else if (wire == 2)
            {
                var b = new byte[(int)ReadVarint(s)];
                s.ReadExactly(b);
                if (field == 1) domain = Encoding.UTF8.GetString(b);
            }
            else throw new InvalidDataException("malformed opset_import in the model file");
        }
        Opsets[domain == "ai.onnx" ? "" : domain] = version;
    }

    private static ulong ReadVarint(Stream s)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            int b = s.ReadByte();
            if (b < 0) throw new EndOfStreamException("truncated varint in the model file");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("malformed varint in the model file");
    }
}
