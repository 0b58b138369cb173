using Google.Protobuf;
using OnnxKit.Schema;

namespace OnnxKit.Tests.Interop.Fuzz;

/// <summary>One mutated model: its kind, its bytes, and whether it points a tensor at data outside its folder.</summary>
/// <param name="Kind">The mutation (one of <see cref="ModelMutator.Kinds"/>, or byte-flip / truncate).</param>
/// <param name="Source">The model it was made from.</param>
/// <param name="Bytes">The file content.</param>
/// <param name="ReadsOutside">True when a weight the graph uses is redirected outside the model's folder: loading it must be refused.</param>
/// <param name="LinkInside">Name of a symbolic link to create inside the folder (pointing at the canary outside it), or null.</param>
internal sealed record Mutant(string Kind, string Source, byte[] Bytes, bool ReadsOutside, string? LinkInside = null);

/// <summary>
/// A seeded generator of damaged and hostile ONNX files: byte flips, truncation, and protobuf-level edits of dims,
/// data types, data lengths, graph structure (cycles, dangling inputs, duplicate outputs), attributes, opsets and
/// external-data locations (<c>../</c>, absolute, through a link, out-of-range offsets). The same seed gives the same
/// mutants, so a failure is reproduced by its case number.
/// </summary>
internal sealed class ModelMutator(int seed, string canaryPath)
{
    /// <summary>Name of the in-folder data file that external-data mutants may point at legitimately.</summary>
    public const string DataFile = "w.bin";
    /// <summary>Size of <see cref="DataFile"/>.</summary>
    public const int DataFileBytes = 4096;

    private readonly Random _rng = new(seed);

    public static readonly string[] Kinds =
    [
        "dim-negative", "dim-overflow", "dim-zero", "data-type", "raw-data-short", "raw-data-long", "typed-data-count",
        "cycle", "dangling-input", "duplicate-node-output", "duplicate-graph-output", "remove-initializer", "remove-node",
        "graph-input-dims", "attribute-int", "constant-dims", "opset", "op-type", "ir-version",
        "external-hostile-location", "external-bad-range",
    ];

    private static readonly long[] HugeDims = [long.MaxValue, 1L << 61, 1L << 62, (1L << 32) + 1, int.MaxValue, 1L << 40];

    public Mutant Next((string Name, byte[] Bytes) source)
    {
        int roll = _rng.Next(100);
        if (roll < 22) return Flip(source);
        if (roll < 32) return new("truncate", source.Name, source.Bytes[.._rng.Next(source.Bytes.Length)], false);
        var p = ModelProto.Parser.ParseFrom(source.Bytes);
        // Hostile locations get a bucket of their own: they are the mutants that could read outside the folder.
        string kind = roll < 42 ? "external-hostile-location" : Kinds[_rng.Next(Kinds.Length)];
        bool outside = false;
        string? link = null;
        // A model may have nothing to mutate a given way (no initializers, one node): try other kinds.
        for (int attempt = 0; !Apply(p, kind, ref outside, ref link); attempt++)
        {
            if (attempt == 8) { kind = "unchanged"; break; }
            kind = Kinds[_rng.Next(Kinds.Length)];
        }
        return new(kind, source.Name, p.ToByteArray(), outside, link);
    }

    private Mutant Flip((string Name, byte[] Bytes) source)
    {
        var b = (byte[])source.Bytes.Clone();
        int flips = 1 + _rng.Next(16);
        for (int i = 0; i < flips; i++) b[_rng.Next(b.Length)] ^= (byte)(1 + _rng.Next(255));
        return new("byte-flip", source.Name, b, false);
    }

    private T Pick<T>(IList<T> items) => items[_rng.Next(items.Count)];

    private bool Apply(ModelProto p, string kind, ref bool outside, ref string? link)
    {
        var g = p.Graph;
        var inits = g.Initializer;
        var nodes = g.Node;
        switch (kind)
        {
            case "dim-negative" when inits.Count > 0:
            {
                var t = Pick(inits);
                if (t.Dims.Count == 0) t.Dims.Add(-1); else t.Dims[_rng.Next(t.Dims.Count)] = -1 - _rng.Next(1000);
                return true;
            }
            case "dim-overflow" when inits.Count > 0:
            {
                var t = Pick(inits);
                t.Dims.Clear();
                t.Dims.Add(Pick(HugeDims));
                if (_rng.Next(2) == 0) { t.Dims.Add(8); t.Dims.Add(1); } // 2^61·8 wraps to 0
                return true;
            }
            case "dim-zero" when inits.Count > 0:
            {
                var t = Pick(inits);
                if (t.Dims.Count == 0) t.Dims.Add(0); else t.Dims[_rng.Next(t.Dims.Count)] = 0;
                return true;
            }
            case "data-type" when inits.Count > 0:
                Pick(inits).DataType = Pick(new[] { -1, 0, 2, 7, 8, 10, 11, 14, 16, 17, 21, 24, 99 });
                return true;
            case "raw-data-short" when inits.Any(t => t.RawData.Length > 0):
            {
                var t = Pick(inits.Where(t => t.RawData.Length > 0).ToList());
                t.RawData = ByteString.CopyFrom(t.RawData.Span[.._rng.Next(t.RawData.Length)]);
                return true;
            }
            case "raw-data-long" when inits.Count > 0:
            {
                var t = Pick(inits);
                var extra = new byte[1 + _rng.Next(64)];
                t.RawData = ByteString.CopyFrom([.. t.RawData.Span, .. extra]);
                return true;
            }
            case "typed-data-count" when inits.Count > 0:
            {
                var t = Pick(inits);
                t.ClearRawData();
                for (int i = 0, n = _rng.Next(5); i < n; i++) { t.FloatData.Add(1); t.Int64Data.Add(1); }
                return true;
            }
            case "cycle" when nodes.Count > 1:
            {
                int i = _rng.Next(nodes.Count - 1), k = i + 1 + _rng.Next(nodes.Count - i - 1);
                if (nodes[i].Input.Count == 0 || nodes[k].Output.Count == 0) return false;
                nodes[i].Input[_rng.Next(nodes[i].Input.Count)] = nodes[k].Output[0];
                return true;
            }
            case "dangling-input" when nodes.Any(n => n.Input.Count > 0):
            {
                var n = Pick(nodes.Where(n => n.Input.Count > 0).ToList());
                n.Input[_rng.Next(n.Input.Count)] = "dangling_" + _rng.Next(1000);
                return true;
            }
            case "duplicate-node-output" when nodes.Count > 1:
            {
                int a = _rng.Next(nodes.Count), b = (a + 1 + _rng.Next(nodes.Count - 1)) % nodes.Count;
                if (nodes[a].Output.Count == 0 || nodes[b].Output.Count == 0) return false;
                nodes[b].Output[0] = nodes[a].Output[0];
                return true;
            }
            case "duplicate-graph-output" when g.Output.Count > 0:
                g.Output.Add(Pick(g.Output).Clone());
                return true;
            case "remove-initializer" when inits.Count > 0:
                inits.RemoveAt(_rng.Next(inits.Count));
                return true;
            case "remove-node" when nodes.Count > 0:
                nodes.RemoveAt(_rng.Next(nodes.Count));
                return true;
            case "graph-input-dims" when g.Input.Any(i => i.Type?.TensorType?.Shape is { Dim.Count: > 0 }):
            {
                var shape = Pick(g.Input.Where(i => i.Type?.TensorType?.Shape is { Dim.Count: > 0 }).ToList()).Type.TensorType.Shape;
                shape.Dim[_rng.Next(shape.Dim.Count)].DimValue = Pick(new[] { -1L, 0, long.MaxValue, 1L << 40, 1L << 61 });
                return true;
            }
            case "attribute-int" when nodes.Any(n => n.Attribute.Any(a => a.Type is AttributeProto.Types.AttributeType.Int or AttributeProto.Types.AttributeType.Ints)):
            {
                var n = Pick(nodes.Where(n => n.Attribute.Any(a => a.Type is AttributeProto.Types.AttributeType.Int or AttributeProto.Types.AttributeType.Ints)).ToList());
                var a = Pick(n.Attribute.Where(a => a.Type is AttributeProto.Types.AttributeType.Int or AttributeProto.Types.AttributeType.Ints).ToList());
                long v = Pick(new[] { -1L, -(1L << 40), long.MaxValue, long.MinValue, 1L << 40, 0 });
                if (a.Type == AttributeProto.Types.AttributeType.Int) a.I = v;
                else if (a.Ints.Count > 0) a.Ints[_rng.Next(a.Ints.Count)] = v;
                else a.Ints.Add(v);
                return true;
            }
            case "constant-dims" when nodes.Any(n => n.Attribute.Any(a => a.T is not null)):
            {
                var t = Pick(nodes.SelectMany(n => n.Attribute).Where(a => a.T is not null).ToList()).T;
                t.Dims.Clear();
                t.Dims.Add(Pick(new[] { -3L, 1L << 61, long.MaxValue, 1000 }));
                return true;
            }
            case "opset":
                if (p.OpsetImport.Count == 0 || _rng.Next(3) == 0) p.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 999 });
                else p.OpsetImport[0].Version = Pick(new[] { 0L, -1L, 999L, 1L });
                return true;
            case "op-type" when nodes.Count > 0:
            {
                var n = Pick(nodes);
                if (_rng.Next(2) == 0) n.OpType = "NoSuchOp" + _rng.Next(10); else n.Domain = "com.example.unknown";
                return true;
            }
            case "ir-version":
                p.IrVersion = Pick(new[] { 0L, -1L, 1L, 999L });
                return true;
            case "external-hostile-location" when inits.Count > 0:
            {
                var t = Pick(inits);
                long bytes = t.RawData.Length > 0 ? t.RawData.Length : 4 * t.Dims.Aggregate(1L, (a, d) => a * d);
                string abs = canaryPath;
                string location = Pick(new[]
                {
                    "../" + Path.GetFileName(abs), "../../" + Path.GetFileName(abs), "sub/../../" + Path.GetFileName(abs), abs,
                    "./../" + Path.GetFileName(abs), "..\\" + Path.GetFileName(abs), "link.bin",
                });
                if (location == "link.bin") link = location;
                outside = true;
                MakeExternal(t, location, 0, bytes);
                return true;
            }
            case "external-bad-range" when inits.Any(t => t.RawData.Length > 0):
            {
                var t = Pick(inits.Where(t => t.RawData.Length > 0).ToList());
                long len = t.RawData.Length;
                var (offset, length) = Pick(new (long, long)[] { (-1, len), (DataFileBytes, len), (DataFileBytes - 1, len + 1), (long.MaxValue - 2, len), (8, long.MaxValue - 4), (0, len + 4), (0, -1) });
                MakeExternal(t, DataFile, offset, length);
                return true;
            }
            default:
                return false;
        }
    }

    private static void MakeExternal(TensorProto t, string location, long offset, long length)
    {
        t.ClearRawData(); t.FloatData.Clear(); t.Int64Data.Clear(); t.Int32Data.Clear(); t.DoubleData.Clear();
        t.DataLocation = TensorProto.Types.DataLocation.External;
        t.ExternalData.Clear();
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
    }
}
