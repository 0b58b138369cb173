using OnnxKit.IR;

namespace OnnxKit.Training.Session.Cuda;

/// <summary>A node that ONNX Runtime's CUDA provider has no kernel for, so it would run on the CPU.</summary>
/// <param name="Node">The node's description (type and name or first output).</param>
/// <param name="Domain">Its operator domain.</param>
/// <param name="OpType">Its operator.</param>
/// <param name="Opset">The opset the model imports for that domain.</param>
/// <param name="ElementType">The element type that selects the kernel (ONNX name), or "?" when unknown.</param>
/// <param name="Reason">Why no CUDA kernel covers it.</param>
public sealed record CudaFallback(string Node, string Domain, string OpType, long Opset, string ElementType, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Node}: {Domain} {OpType} opset {Opset} {ElementType} — {Reason}";
}

/// <summary>
/// Which nodes of a model would fall back from CUDA to the CPU in ONNX Runtime <see cref="CudaKernelTable.RuntimeVersion"/>:
/// a node is covered when the table has a kernel for its domain and operator whose opset range holds the model's
/// opset and whose types hold the node's element type (inferred through the graph).
/// </summary>
public static class CudaCoverage
{
    /// <summary>Every node of <paramref name="model"/> without a CUDA kernel, in graph order (empty: all on the GPU).</summary>
    public static IReadOnlyList<CudaFallback> Fallbacks(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var types = ElementTypes(model);
        var result = new List<CudaFallback>();
        foreach (var n in model.Graph.Nodes)
        {
            // ONNX Runtime turns Constant nodes into initializers before placing nodes; they need no kernel.
            if (n.OpType == "Constant" && n.Domain is "" or "ai.onnx") continue;
            string domain = CudaKernelTable.NormalizeDomain(n.Domain);
            long opset = model.Opsets.TryGetValue(n.Domain, out var o) ? o : model.Opsets.TryGetValue(domain, out var o2) ? o2 : 1;
            if (Check(n, domain, opset, types) is { } f) result.Add(f);
        }
        return result;
    }

    private static CudaFallback? Check(Node n, string domain, long opset, IReadOnlyDictionary<string, ElementType> types)
    {
        var kernels = CudaKernelTable.For(domain, n.OpType).ToList();
        CudaFallback Fail(string type, string reason) => new(n.Describe(), domain, n.OpType, opset, type, reason);
        if (kernels.Count == 0) return Fail("?", $"CUDA has no kernel for {domain} {n.OpType}");
        var inRange = kernels.Where(k => k.Since <= opset && opset <= k.Until).ToList();
        if (inRange.Count == 0)
            return Fail("?", $"CUDA's {n.OpType} kernels cover opsets {string.Join(", ", kernels.Select(Range))}, not {opset}");
        string? type = null;
        foreach (var k in inRange)
        {
            if (k.TypedBy == "*") return null;
            type = TypeOf(n, k.TypedBy, types);
            if (type is null || k.Types.Contains(type)) return null;   // unknown types are not reported as fallbacks
        }
        return Fail(type!, $"CUDA's {n.OpType} kernel at opset {opset} takes {string.Join(", ", inRange.SelectMany(k => k.Types).Distinct().Order())}");
    }

    private static string Range(CudaKernel k) => k.Until == int.MaxValue ? $"{k.Since}+" : k.Since == k.Until ? $"{k.Since}" : $"{k.Since}-{k.Until}";

    private static string? TypeOf(Node n, string by, IReadOnlyDictionary<string, ElementType> types)
    {
        var names = by[0] == 'i' ? n.Inputs : n.Outputs;
        int i = by[1] - '0';
        if (i >= names.Count || names[i].Length == 0) return null;
        return types.TryGetValue(names[i], out var t) && t != ElementType.Undefined ? t.OnnxName() : null;
    }

    /// <summary>The element type of every value, inferred node by node from the graph's inputs and initializers.</summary>
    private static Dictionary<string, ElementType> ElementTypes(OnnxModel model)
    {
        var b = GraphBuilder.Attach(model);
        var r = new Dictionary<string, ElementType>();
        foreach (var name in model.Graph.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).Where(s => s.Length > 0).Distinct())
            if (b.Has(name)) r[name] = b[name].Type.ElementType;
        return r;
    }
}
