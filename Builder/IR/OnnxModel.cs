using Google.Protobuf;
using OnnxKit.IO;
using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>
/// An ONNX model in memory: the <see cref="Graph"/>, its operator-set imports and metadata. Reads and writes
/// <c>.onnx</c> files (with external data) so that a model loaded and saved again is the same model.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>Protobuf cannot serialise a message of 2 GB or more; beyond this, tensors must go external.</summary>
    public const long ProtobufLimitBytes = int.MaxValue;

    /// <summary>The main graph.</summary>
    public Graph Graph { get; set; } = new();
    /// <summary>ONNX IR version (8 for opset 17).</summary>
    public long IrVersion { get; set; } = 8;
    /// <summary>Operator-set imports: domain ("" for the standard set) to version.</summary>
    public Dictionary<string, long> Opsets { get; } = [];
    /// <summary>The tool that wrote the file (<c>producer_name</c>), e.g. <c>pytorch</c>; null when the file does not say.</summary>
    public string? ProducerName { get; set; }
    /// <summary>That tool's version (<c>producer_version</c>).</summary>
    public string? ProducerVersion { get; set; }
    /// <summary>Model documentation.</summary>
    public string? DocString { get; set; }
    /// <summary>Free-form metadata (class labels, normalisation, …), in order.</summary>
    public Dictionary<string, string> Metadata { get; } = [];

    /// <summary>Fields of the model message not modelled here (functions, training info, domain, unknown fields).</summary>
    internal ModelProto? Extra { get; set; }

    /// <summary>The standard-domain opset version (0 where none is imported).</summary>
    public long Opset => Opsets.TryGetValue("", out var v) ? v : Opsets.TryGetValue("ai.onnx", out var w) ? w : 0;

    /// <summary>
    /// Reads a model message. <paramref name="baseDirectory"/> resolves external data. Every tensor's dims, type and
    /// data length are checked (<see cref="TensorChecks"/>) and the graph's structure too (<see cref="GraphStructure"/>).
    /// </summary>
    /// <exception cref="OnnxModelException">The message is not a valid model; the text names the tensor, node or value at fault.</exception>
    public static OnnxModel FromProto(ModelProto p, string? baseDirectory = null)
    {
        if (p.Graph is null) throw new OnnxModelException("the model has no graph");
        var m = new OnnxModel
        {
            Graph = Graph.FromProto(p.Graph, baseDirectory),
            IrVersion = p.IrVersion,
            ProducerName = p.HasProducerName ? p.ProducerName : null,
            ProducerVersion = p.HasProducerVersion ? p.ProducerVersion : null,
            DocString = p.HasDocString ? p.DocString : null,
        };
        // Both are maps in ONNX (the checker rejects repeated keys); a repeated key would be lost here, so refuse it.
        foreach (var o in p.OpsetImport)
            if (!m.Opsets.TryAdd(o.Domain, o.Version))
                throw new OnnxModelException($"model '{p.Graph.Name}' imports operator set domain '{o.Domain}' twice (versions {m.Opsets[o.Domain]} and {o.Version}); expected each domain once");
        foreach (var kv in p.MetadataProps)
            if (!m.Metadata.TryAdd(kv.Key, kv.Value))
                throw new OnnxModelException($"model '{p.Graph.Name}' has metadata key '{kv.Key}' twice; expected unique keys");
        GraphStructure.TopologicalOrder(m.Graph);
        var extra = p.Clone();
        extra.Graph = null; extra.MetadataProps.Clear();
        m.Extra = extra;
        return m;
    }

    /// <summary>Writes the model message with all tensor data inline (only for models under 2 GB).</summary>
    public ModelProto ToProto() => ToProto(i => i.ToInlineProto());

    private ModelProto ToProto(Func<Initializer, TensorProto> writeInitializer)
    {
        var p = Extra?.Clone() ?? new ModelProto();
        // A model read without ir_version (invalid, but readable) is written back without it unless it was changed.
        if (IrVersion != 0 || p.HasIrVersion) p.IrVersion = IrVersion;
        // Keep the original opset order where the imports are unchanged; otherwise write ours.
        var original = p.OpsetImport.Select(o => (o.Domain, o.Version)).ToList();
        if (!original.SequenceEqual(Opsets.Select(kv => (kv.Key, kv.Value))))
        {
            p.OpsetImport.Clear();
            foreach (var kv in Opsets) p.OpsetImport.Add(new OperatorSetIdProto { Domain = kv.Key, Version = kv.Value });
        }
        if (ProducerName is null) p.ClearProducerName(); else p.ProducerName = ProducerName;
        if (ProducerVersion is null) p.ClearProducerVersion(); else p.ProducerVersion = ProducerVersion;
        if (DocString is null) p.ClearDocString(); else p.DocString = DocString;
        p.Graph = Graph.ToProto(writeInitializer);
        p.MetadataProps.Clear();
        foreach (var kv in Metadata) p.MetadataProps.Add(new StringStringEntryProto { Key = kv.Key, Value = kv.Value });
        return p;
    }

    /// <summary>Serialises to bytes with all data inline; throws where the model is 2 GB or more.</summary>
    public byte[] ToBytes()
    {
        long total = Graph.Initializers.Sum(i => i.DataSource?.Length ?? i.Proto.CalculateSize());
        if (total >= ProtobufLimitBytes)
            throw new OnnxModelException($"model '{Graph.Name}' holds {total} bytes of tensors: over the 2 GB protobuf limit; save it to a file with external data instead");
        return ToProto().ToByteArray();
    }

    /// <summary>Reads a model from bytes (no external data).</summary>
    public static OnnxModel FromBytes(byte[] bytes, string what = "model bytes")
    {
        ModelProto p;
        try { p = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"{what} is not a valid ONNX model (truncated or corrupt protobuf: {e.Message})", e);
        }
        return FromProto(p, null);
    }

    /// <summary>
    /// Loads a <c>.onnx</c> file. Tensors stored as external data are not read now: they are read from their file
    /// (which must lie inside the model's folder) when needed, so models of many GB load in little memory.
    /// </summary>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model file '{path}' does not exist", path);
        ModelProto p;
        try
        {
            using var f = File.OpenRead(path);
            p = ModelProto.Parser.ParseFrom(f);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"'{path}' is not a valid ONNX model (truncated or corrupt protobuf: {e.Message})", e);
        }
        if (p.Graph is null) throw new OnnxModelException($"'{path}' is not an ONNX model: it has no graph");
        try { return FromProto(p, Path.GetDirectoryName(Path.GetFullPath(path))); }
        catch (OnnxModelException e) { throw new OnnxModelException($"'{path}': {e.Message}", e); }
    }

    /// <summary>
    /// Saves atomically (written to temporary files, then renamed over the targets, so a failure leaves any
    /// previous file intact). Large tensors go to a data file beside the model when <paramref name="options"/>
    /// ask for it, and always when the model would exceed the 2 GB protobuf limit.
    /// </summary>
    public void Save(string path, SaveOptions? options = null)
    {
        options ??= new SaveOptions();
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        long totalBytes = Graph.Initializers.Sum(i => i.DataSource?.Length ?? i.Proto.CalculateSize());
        bool external = options.UseExternalData ?? totalBytes >= ProtobufLimitBytes - (64L << 20);
        string dataName = options.ExternalFileName ?? Path.GetFileName(full) + ".data";
        string dataPath = ExternalData.SafePath(dir, dataName, "(data file)");
        if (external && string.Equals(dataPath, full, StringComparison.Ordinal))
            throw new OnnxModelException($"cannot save '{full}': the external data file name '{dataName}' is the model file itself; choose another ExternalFileName");
        using var dataFile = external ? AtomicFile.Begin(dataPath) : null;
        using var modelFile = AtomicFile.Begin(full);
        var written = new List<(Initializer Init, TensorProto Written)>();
        ModelProto proto;
        if (dataFile is not null)
        {
            using var data = dataFile.OpenWrite();
            proto = ToProto(init => Record(init, WriteExternal(init, data, dataName, options.ExternalThresholdBytes)));
        }
        else
        {
            proto = ToProto(init => init.ToInlineProto());
        }
        if (proto.CalculateSize() < 0 || proto.Graph.CalculateSize() >= ProtobufLimitBytes)
            throw new OnnxModelException($"model '{Graph.Name}' does not fit the 2 GB protobuf limit even with external data");
        using (var f = modelFile.OpenWrite()) proto.WriteTo(f);
        // Both files are complete before either is renamed; the data first, so the new model never points into an old data file.
        if (dataFile is not null)
        {
            dataFile.Commit();
            RepointSourcesInto(dataPath, written);
        }
        modelFile.Commit();

        TensorProto Record(Initializer init, TensorProto p) { written.Add((init, p)); return p; }
    }

    /// <summary>
    /// The data file at <paramref name="dataPath"/> was just replaced: tensors of this model that were read lazily
    /// from the old file would now read the wrong bytes. Point them at where this save put their data instead
    /// (the new file's offsets, or inline where the tensor was written inline).
    /// </summary>
    private static void RepointSourcesInto(string dataPath, List<(Initializer Init, TensorProto Written)> written)
    {
        foreach (var (init, p) in written)
        {
            if (init.DataSource is not FileSliceSource old || !string.Equals(old.Path, dataPath, StringComparison.Ordinal)) continue;
            if (p.DataLocation == TensorProto.Types.DataLocation.External)
            {
                var kv = p.ExternalData.ToDictionary(e => e.Key, e => e.Value);
                init.DataSource = new FileSliceSource(dataPath, long.Parse(kv["offset"]), long.Parse(kv["length"]));
            }
            else
            {
                init.Proto.RawData = p.RawData;
                init.DataSource = null;
            }
        }
    }

    private static TensorProto WriteExternal(Initializer init, Stream data, string location, long threshold)
    {
        long size = init.DataSource?.Length ?? init.ByteSize ?? -1;
        if (size < threshold || init.ElementType == ElementType.String) return init.ToInlineProto();
        // Align each tensor to 4 KiB so runtimes can memory-map it.
        long pad = (4096 - data.Position % 4096) % 4096;
        if (pad > 0) data.Write(new byte[pad]);
        long offset = data.Position;
        if (init.DataSource is not null) init.DataSource.CopyTo(data);
        else data.Write(TensorData.RawBytes(init.Proto));
        var p = init.Proto.Clone();
        p.ClearRawData(); p.FloatData.Clear(); p.DoubleData.Clear(); p.Int32Data.Clear(); p.Int64Data.Clear(); p.Uint64Data.Clear();
        p.DataLocation = TensorProto.Types.DataLocation.External;
        p.ExternalData.Clear();
        p.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        p.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        p.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (data.Position - offset).ToString() });
        return p;
    }
}
