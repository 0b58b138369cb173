using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit.Training.Session.Lowering;

/// <summary>
/// Runs a graph's 2-D convolutions on ONNX Runtime's blocked-layout CPU kernels (the <c>com.microsoft.nchwc</c>
/// domain of the stock package). ORT switches to these kernels by itself only for convolutions whose weights are
/// constant initializers; in a training step the weights are graph inputs that change every step, so ORT would run
/// its generic im2col path — 1.6–2.2× slower on the ResNet's 16–64-channel layers. This lowering does by hand what
/// ORT's optimiser does for constants: the input is reordered to NCHWc, the weight is reordered inside the graph
/// (a reshape and transpose of a few thousand floats per step) and the output is reordered back, so every other node
/// keeps reading plain NCHW.
/// </summary>
/// <remarks>
/// Applied to the bytes handed to ORT, never to saved artifacts: the files stay standard ONNX that any runtime
/// reads. The block size is the runtime's (<see cref="NchwcRuntime.BlockSize"/>, 8 or 16 by the CPU's vector width);
/// the weight layout depends on it, so a graph lowered here is only valid in this process.
/// </remarks>
internal static class NchwcConvolutions
{
    /// <summary>The operator domain of ORT's blocked-layout kernels.</summary>
    public const string Domain = "com.microsoft.nchwc";

    /// <summary>
    /// Rewrites each eligible <c>Conv</c> of <paramref name="model"/> in place; returns how many were rewritten.
    /// Eligible: float, 2-D, one group, explicit (or no) padding, static channel counts with the output channels a
    /// multiple of <paramref name="block"/> and the input channels either a multiple of it or fewer than it (the
    /// first layer of an image model, read in NCHW directly).
    /// </summary>
    public static int Apply(OnnxModel model, int block)
    {
        if (block < 4) throw new ArgumentOutOfRangeException(nameof(block), block, "NCHWc block size must be at least 4");
        var types = GraphBuilder.Attach(model);
        var graph = model.Graph;
        var taken = new HashSet<string>();
        string Fresh(string hint)
        {
            string n = types.UniqueName(hint);
            for (int k = 1; !taken.Add(n); k++) n = types.UniqueName($"{hint}_{k}");
            return n;
        }
        var reorderedInputs = new Dictionary<string, string>();
        var reorderedWeights = new Dictionary<string, string>();
        var result = new List<Node>(graph.Nodes.Count);
        int lowered = 0;
        foreach (var node in graph.Nodes)
        {
            if (Eligible(node, types, block) is not var (c, o, kh, kw))
            {
                result.Add(node);
                continue;
            }
            string x = node.Inputs[0], w = node.Inputs[1];
            string input = x;
            if (c >= block && !reorderedInputs.TryGetValue(x, out input!))
            {
                input = Fresh($"{x}/nchwc");
                result.Add(new Node("ReorderInput", [x], [input], input, Domain));
                reorderedInputs[x] = input;
            }
            if (!reorderedWeights.TryGetValue(w, out var weight))
            {
                weight = Fresh($"{w}/nchwc");
                result.AddRange(ReorderWeight(graph, Fresh, w, weight, c, o, kh, kw, block));
                reorderedWeights[w] = weight;
            }
            string blocked = Fresh($"{node.Outputs[0]}/nchwc");
            var conv = new Node("Conv", [input, weight, .. node.Inputs.Skip(2).Take(1)], [blocked], node.Name.Length > 0 ? node.Name : blocked, Domain,
                node.Attributes.Where(a => a.Name != "auto_pad" && a.Name != "kernel_shape").Select(a => a.Clone()));
            conv.Set(Attr.Ints("kernel_shape", [kh, kw]));
            result.Add(conv);
            result.Add(new Node("ReorderOutput", [blocked], [node.Outputs[0]], Fresh($"{node.Outputs[0]}/nchw"), Domain, [Attr.Int("channels", o)]));
            lowered++;
        }
        if (lowered > 0)
        {
            graph.Nodes.Clear();
            graph.Nodes.AddRange(result);
            model.Opsets[Domain] = 1;
        }
        return lowered;
    }

    /// <summary>
    /// Lowers serialized model bytes; returns them unchanged when no convolution qualifies or when the graph cannot be
    /// typed here (an imported graph with operators this library has no shape rule for): the lowering only changes
    /// speed, so the standard path is the right fallback.
    /// </summary>
    public static byte[] TryApply(byte[] model, int block)
    {
        try
        {
            var m = OnnxModel.FromBytes(model);
            return Apply(m, block) > 0 ? m.ToBytes() : model;
        }
        catch (OnnxModelException e) // GraphBuildException included
        {
            System.Diagnostics.Trace.TraceWarning($"blocked-layout convolutions not applied ({e.Message}); the standard Conv kernels run");
            return model;
        }
    }

    // (input channels, output channels, kernel height, kernel width) of a convolution the blocked kernels can run.
    private static (long C, long O, long Kh, long Kw)? Eligible(Node node, GraphBuilder types, int block)
    {
        if (node.OpType != "Conv" || node.Domain is not ("" or "ai.onnx") || node.Inputs.Count < 2 || node.Outputs.Count != 1) return null;
        if (node.Inputs.Count > 2 && node.Inputs[2].Length == 0) return null;
        if (node.GetInt("group", 1) != 1 || node.GetString("auto_pad", "NOTSET") != "NOTSET") return null;
        var xt = types[node.Inputs[0]].Type;
        var wt = types[node.Inputs[1]].Type;
        if (xt.ElementType != ElementType.Float32 || xt.Shape is not { Rank: 4 } xs || !xs[1].IsKnown) return null;
        if (wt.Shape is not { Rank: 4, IsFullyKnown: true } ws) return null;
        long c = xs[1].Value!.Value, o = ws[0].Value!.Value;
        if (ws[1].Value != c || o % block != 0 || (c % block != 0 && (c >= block || c == 0))) return null;
        return (c, o, ws[2].Value!.Value, ws[3].Value!.Value);
    }

    // [O, C, kh, kw] → the blocked filter layout, still shaped [O, C, kh, kw] as the kernel expects:
    // OIHWBiBo ([O/b, C/b, kh, kw, b_in, b_out]) for blocked inputs, OIHWBo ([O/b, C, kh, kw, b_out]) for NCHW inputs.
    private static IEnumerable<Node> ReorderWeight(Graph graph, Func<string, string> fresh, string w, string result, long c, long o, long kh, long kw, int block)
    {
        bool blockedInput = c >= block;
        long[] split = blockedInput ? [o / block, block, c / block, block, kh, kw] : [o / block, block, c, kh, kw];
        long[] perm = blockedInput ? [0, 2, 4, 5, 3, 1] : [0, 2, 3, 4, 1];
        string splitShape = Shape(graph, fresh($"{w}/nchwc_split"), split);
        string backShape = Shape(graph, fresh($"{w}/nchwc_shape"), [o, c, kh, kw]);
        string s = fresh($"{w}/nchwc_blocks"), t = fresh($"{w}/nchwc_order");
        yield return new Node("Reshape", [w, splitShape], [s], s);
        yield return new Node("Transpose", [s], [t], t, attributes: [Attr.Ints("perm", perm)]);
        yield return new Node("Reshape", [t, backShape], [result], result);
    }

    private static string Shape(Graph graph, string name, long[] dims)
    {
        graph.Initializers.Add(new Initializer(TensorData.FromInt64s(name, dims, dims.Length)));
        return name;
    }
}
