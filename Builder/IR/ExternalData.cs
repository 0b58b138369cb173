using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>ONNX external data: tensors whose bytes live in a file beside the model.</summary>
internal static class ExternalData
{
    /// <summary>
    /// Turns a tensor message into an <see cref="Initializer"/>: inline tensors as they are; external ones as a
    /// lazy <see cref="FileSliceSource"/>, after checking that the location stays inside the model's folder.
    /// </summary>
    public static Initializer Resolve(TensorProto t, string? baseDirectory)
    {
        if (t.DataLocation != TensorProto.Types.DataLocation.External) return new Initializer(t.Clone());
        var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!kv.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
            throw new OnnxModelException($"tensor '{t.Name}' is marked external but names no 'location'");
        if (baseDirectory is null)
            throw new OnnxModelException($"tensor '{t.Name}' keeps its data in '{location}', but the model was not read from a file; load it with OnnxModel.Load(path)");
        string path = SafePath(baseDirectory, location, t.Name);
        long offset = kv.TryGetValue("offset", out var o) ? ParseLong(o, "offset", t.Name) : 0;
        long? length = kv.TryGetValue("length", out var l) ? ParseLong(l, "length", t.Name) : null;
        if (!File.Exists(path)) throw new OnnxModelException($"tensor '{t.Name}': external data file '{location}' is missing beside the model (looked for '{path}')");
        long fileLength = new FileInfo(path).Length;
        long? expected = TensorChecks.ByteLength(t);
        if (offset < 0 || offset > fileLength)
            throw new OnnxModelException($"tensor '{t.Name}': external data offset {offset} lies outside '{location}' ({fileLength} bytes)");
        long len = length ?? expected ?? fileLength - offset;
        if (expected is { } need && len != need)
            throw new OnnxModelException($"tensor '{t.Name}': external data length is {len} bytes, but its type and dims [{string.Join(", ", t.Dims)}] need {need}");
        // Compared as a difference: offset + len could wrap past long.MaxValue.
        if (len < 0 || len > fileLength - offset)
            throw new OnnxModelException($"tensor '{t.Name}': external data '{location}' has {fileLength} bytes, but the tensor needs {len} bytes from offset {offset}");
        var meta = t.Clone();
        meta.ExternalData.Clear(); meta.ClearDataLocation(); meta.ClearRawData();
        return new Initializer(meta, new FileSliceSource(path, offset, len));
    }

    /// <summary>
    /// Refuses tensors kept as external data inside a node's attributes (a <c>Constant</c>'s value, or the
    /// initializers and nodes of an <c>If</c>/<c>Loop</c>/<c>Scan</c> subgraph). Only main-graph initializers are
    /// read lazily and rewritten on save; any other external tensor would point at a file a re-saved model does
    /// not carry along, so it is refused at load time rather than silently broken on save.
    /// </summary>
    public static void RefuseInAttributes(NodeProto node, string graphName)
    {
        foreach (var a in node.Attribute)
        {
            string where = $"graph '{graphName}', {(node.Name.Length > 0 ? $"{node.OpType} node '{node.Name}'" : $"{node.OpType} node producing '{node.Output.FirstOrDefault()}'")}, attribute '{a.Name}'";
            var tensors = new List<TensorProto>();
            if (a.T is not null) tensors.Add(a.T);
            tensors.AddRange(a.Tensors);
            if (a.SparseTensor is { } st) { if (st.Values is not null) tensors.Add(st.Values); if (st.Indices is not null) tensors.Add(st.Indices); }
            foreach (var sp in a.SparseTensors) { if (sp.Values is not null) tensors.Add(sp.Values); if (sp.Indices is not null) tensors.Add(sp.Indices); }
            var graphs = new List<GraphProto>(a.Graphs);
            if (a.G is not null) graphs.Add(a.G);
            foreach (var g in graphs)
            {
                tensors.AddRange(g.Initializer);
                foreach (var sp in g.SparseInitializer) { if (sp.Values is not null) tensors.Add(sp.Values); if (sp.Indices is not null) tensors.Add(sp.Indices); }
                foreach (var inner in g.Node) RefuseInAttributes(inner, g.Name);
            }
            foreach (var t in tensors)
                if (t.DataLocation == TensorProto.Types.DataLocation.External)
                    throw new OnnxModelException($"{where}: tensor '{t.Name}' keeps its data in an external file; OnnxKit reads external data only for initializers of the main graph (store this tensor inline)");
        }
    }

    /// <summary>Resolves a location relative to the model folder, refusing absolute paths and anything that escapes the folder.</summary>
    public static string SafePath(string baseDirectory, string location, string tensorName)
    {
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new OnnxModelException($"tensor '{tensorName}': external data location '{location}' must be a relative path inside the model's folder");
        string root = Path.GetFullPath(baseDirectory);
        string full = Path.GetFullPath(Path.Combine(root, location));
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new OnnxModelException($"tensor '{tensorName}': external data location '{location}' points outside the model's folder '{root}'; refused");
        // A symbolic link inside the folder could still lead outside it (the text of the path cannot tell), so
        // no part of the path below the model's folder may be a link.
        for (string? part = full; part is not null && part.Length > root.Length; part = Path.GetDirectoryName(part))
        {
            FileSystemInfo info = Directory.Exists(part) ? new DirectoryInfo(part) : new FileInfo(part);
            if (info.Exists && info.LinkTarget is not null)
                throw new OnnxModelException($"tensor '{tensorName}': external data location '{location}' goes through the symbolic link '{part}'; links are not followed out of the model's folder, refused");
        }
        return full;
    }

    private static long ParseLong(string s, string key, string tensor) =>
        long.TryParse(s, out var v) ? v : throw new OnnxModelException($"tensor '{tensor}': external data '{key}' is '{s}', expected an integer");
}
