using OnnxKit.IR;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// A recurrent node's weight (<c>W</c>, <c>R</c> or <c>B</c>) that PyTorch's exporter folded into one tensor named
/// <c>onnx::LSTM_N</c>, with the state_dict parameters it came from: per direction <c>weight_ih_l{k}</c> (W),
/// <c>weight_hh_l{k}</c> (R), or <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> (B), <c>_reverse</c> for the backward direction,
/// gate blocks in PyTorch's order.
/// </summary>
/// <param name="StoredName">The initializer's name in the file.</param>
/// <param name="OpType"><c>RNN</c>, <c>GRU</c> or <c>LSTM</c>.</param>
/// <param name="Parameters">The state_dict names, direction by direction (for B: ih then hh of each direction).</param>
/// <param name="StoredDims">The stored tensor's shape: W/R [D, G·H, in], B [D, 2·G·H].</param>
internal sealed record RecoveredRecurrent(string StoredName, string OpType, string[] Parameters, long[] StoredDims)
{
    private bool IsBias => StoredDims.Length == 2;

    /// <summary>The shape of each parameter: [G·H, in] for a weight, [G·H] for a bias.</summary>
    public long[] ParameterDims => IsBias ? [StoredDims[1] / 2] : [StoredDims[1], StoredDims[2]];

    /// <summary>The parameters' values (in the order of <see cref="Parameters"/>) from the stored tensor.</summary>
    public float[][] ToParameters(float[] stored)
    {
        var order = RecurrentGates.OnnxOrder(OpType);
        int size = (int)ParameterDims.Aggregate(1L, (a, d) => a * d);
        return Enumerable.Range(0, Parameters.Length).Select(i => RecurrentGates.ToPyTorch(stored.AsSpan(i * size, size), order)).ToArray();
    }

    /// <summary>The stored tensor rebuilt in <paramref name="g"/> from the parameters (gate blocks back in ONNX's order).</summary>
    public Value Stored(GraphBuilder g, IReadOnlyList<Parameter> parameters)
    {
        var order = RecurrentGates.OnnxOrder(OpType);
        Value Onnx(int i) => RecurrentGates.ToOnnx(parameters[i].In(g), order);
        int directions = (int)StoredDims[0];
        var perDirection = Enumerable.Range(0, directions)
            .Select(d => Op.Unsqueeze(IsBias ? Op.Concat(0, Onnx(2 * d), Onnx(2 * d + 1)) : Onnx(d), 0)).ToArray();
        return directions == 1 ? perDirection[0] : Op.Concat(0, perDirection);
    }
}

/// <summary>
/// Gives the <c>W</c>, <c>R</c>, <c>B</c> tensors of <c>RNN</c>/<c>GRU</c>/<c>LSTM</c> nodes that PyTorch's exporter folded
/// (constant folding joins a layer's <c>weight_ih</c>, <c>weight_hh</c>, biases and directions, reorders the gates and names
/// the result <c>onnx::LSTM_N</c>) their state_dict parameters back, from the node's module path: the k-th recurrent node of
/// <c>/lstm/…</c> is layer k of module <c>lstm</c>. Only where that is unambiguous: the tensor is read by that node alone,
/// has the shape the node implies, and none of the names is in the file already or claimed twice.
/// </summary>
internal static class RecurrentWeightNames
{
    private static readonly string[] Ops = ["RNN", "GRU", "LSTM"];

    public static Dictionary<string, RecoveredRecurrent> Recover(Graph graph)
    {
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes) foreach (var i in n.Inputs.Distinct()) if (i.Length > 0) readers[i] = readers.GetValueOrDefault(i) + 1;
        var inits = graph.Initializers.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var found = new List<RecoveredRecurrent>();
        var layerOf = new Dictionary<string, int>(StringComparer.Ordinal);   // next layer index per module path
        foreach (var n in graph.Nodes.Where(n => n.Domain.Length == 0 && Ops.Contains(n.OpType)))
        {
            if (ExporterNames.ModulePath(n.Name) is not { } path) continue;
            int layer = layerOf.GetValueOrDefault(path);
            layerOf[path] = layer + 1;
            string direction = n.GetString("direction", "forward")!;
            if (direction == "reverse") continue;   // PyTorch exports forward or bidirectional layers only
            int directions = direction == "bidirectional" ? 2 : 1;
            long hidden = n.GetInt("hidden_size", 0), gh = hidden * RecurrentGates.OnnxOrder(n.OpType).Length;
            string[] suffixes = directions == 1 ? [""] : ["", "_reverse"];
            for (int slot = 1; slot <= 3 && slot < n.Inputs.Count; slot++)
            {
                if (!inits.TryGetValue(n.Inputs[slot], out var init) || !init.Name.StartsWith("onnx::", StringComparison.Ordinal)
                    || init.ElementType != ElementType.Float32 || readers.GetValueOrDefault(init.Name) != 1) continue;
                var dims = init.Dims;
                // The rank first: a malformed file's 1-D tensor in a weight slot keeps its name instead of failing the import.
                bool fits = dims.Length == (slot == 3 ? 2 : 3) && dims[0] == directions && dims[1] == (slot == 3 ? 2 * gh : gh)
                            && (slot != 2 || dims[2] == hidden);
                if (!fits) continue;
                string[] names = slot switch
                {
                    1 => [.. suffixes.Select(s => $"{path}.weight_ih_l{layer}{s}")],
                    2 => [.. suffixes.Select(s => $"{path}.weight_hh_l{layer}{s}")],
                    _ => [.. suffixes.SelectMany(s => new[] { $"{path}.bias_ih_l{layer}{s}", $"{path}.bias_hh_l{layer}{s}" })],
                };
                found.Add(new RecoveredRecurrent(init.Name, n.OpType, names, dims));
            }
        }
        var claimed = found.SelectMany(r => r.Parameters).GroupBy(p => p).Where(g => g.Count() > 1 || inits.ContainsKey(g.Key)).Select(g => g.Key).ToHashSet();
        return found.Where(r => !r.Parameters.Any(claimed.Contains)).ToDictionary(r => r.StoredName, StringComparer.Ordinal);
    }
}
