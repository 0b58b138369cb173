using OnnxKit.IR;

namespace OnnxKit.Interop.Transfer;

/// <summary>How a weight stored under an exporter name relates to the PyTorch parameter it came from.</summary>
internal enum StoredAs
{
    /// <summary>A Linear weight <c>[out, in]</c> stored transposed for a <c>MatMul</c> (<c>[in, out]</c>).</summary>
    Transposed,
    /// <summary>A per-channel affine <c>[C]</c> stored broadcastable (<c>[C, 1]</c>, <c>[C, 1, 1]</c>) for a <c>Mul</c>/<c>Add</c> (GroupNorm).</summary>
    Broadcast,
}

/// <summary>A weight the exporter renamed, with the state_dict name it gets back.</summary>
/// <param name="StoredName">The initializer's name in the file (<c>onnx::MatMul_28</c>).</param>
/// <param name="StateDictName">The PyTorch name (<c>embed.weight</c>).</param>
/// <param name="Kind">How the stored tensor differs from the parameter.</param>
/// <param name="StoredDims">The stored tensor's shape.</param>
internal sealed record RecoveredName(string StoredName, string StateDictName, StoredAs Kind, long[] StoredDims)
{
    /// <summary>The parameter's shape in PyTorch.</summary>
    public long[] ParameterDims => Kind == StoredAs.Transposed ? [StoredDims[1], StoredDims[0]] : [StoredDims[0]];

    /// <summary>The parameter's values from the stored ones.</summary>
    public float[] ToParameter(float[] stored)
    {
        if (Kind == StoredAs.Broadcast) return stored;
        long rows = StoredDims[0], cols = StoredDims[1];
        var t = new float[stored.Length];
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++) t[j * rows + i] = stored[i * cols + j];
        return t;
    }
}

/// <summary>
/// Gives weights that PyTorch's exporter renamed <c>onnx::Op_N</c> (after constant folding: a Linear applied to a
/// 3-D input becomes <c>MatMul</c> with the transposed weight, GroupNorm's affine becomes <c>Mul</c>/<c>Add</c>
/// with a broadcastable tensor) their state_dict names back, from the module path in the name of the one node that
/// reads them (<c>/embed/MatMul</c> → <c>embed.weight</c>, <c>/gn/Add</c> → <c>gn.bias</c>). A weight is renamed
/// only where that is unambiguous: one reader, a module path, a name no other weight has or gets.
/// </summary>
internal static class ExporterNames
{
    public static Dictionary<string, RecoveredName> Recover(Graph graph)
    {
        var readers = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs.Distinct())
                if (i.Length > 0) (readers.TryGetValue(i, out var l) ? l : readers[i] = []).Add(n);
        var taken = graph.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var found = new List<RecoveredName>();
        foreach (var init in graph.Initializers)
        {
            if (!init.Name.StartsWith("onnx::", StringComparison.Ordinal) || init.ElementType != ElementType.Float32) continue;
            if (!readers.TryGetValue(init.Name, out var rs) || rs.Count != 1 || ModulePath(rs[0].Name) is not { } path) continue;
            var n = rs[0];
            var dims = init.Dims;
            RecoveredName? r = n.OpType switch
            {
                "MatMul" when n.Inputs.Count == 2 && n.Inputs[1] == init.Name && dims.Length == 2 => new(init.Name, path + ".weight", StoredAs.Transposed, dims),
                "Mul" or "Add" when dims.Length >= 2 && dims.Skip(1).All(d => d == 1) => new(init.Name, path + (n.OpType == "Mul" ? ".weight" : ".bias"), StoredAs.Broadcast, dims),
                _ => null,
            };
            if (r is not null) found.Add(r);
        }
        // A name already in the file, or claimed twice, is ambiguous: those weights keep the exporter's names.
        return found.GroupBy(r => r.StateDictName).Where(grp => grp.Count() == 1 && !taken.Contains(grp.Key))
            .Select(grp => grp.Single()).ToDictionary(r => r.StoredName, StringComparer.Ordinal);
    }

    // "/encoder/layers.0/linear1/MatMul" → "encoder.layers.0.linear1"; null without a module path.
    internal static string? ModulePath(string nodeName)
    {
        if (!nodeName.StartsWith('/')) return null;
        var parts = nodeName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 ? string.Join('.', parts[..^1]) : null;
    }
}
