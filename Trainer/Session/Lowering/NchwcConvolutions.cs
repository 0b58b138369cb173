using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Shapes;

namespace OnnxKit.Training.Session.Lowering;

/// <summary>
/// Runs a graph's 2-D convolutions on ONNX Runtime's blocked-layout CPU kernels (the <c>com.microsoft.nchwc</c>
/// domain of the stock package). ORT switches to these kernels by itself only for convolutions whose weights are
/// constant initializers; in a training step the weights are graph inputs that change every step, so ORT would run
/// its generic im2col path, which is slower on the ResNet's 16–64-channel layers (bench/RESULTS.md, "Training:
/// convolutions on ORT's blocked-layout kernels"). This lowering does by hand what ORT's optimiser does for constants:
/// the input is reordered to NCHWc, the weight is reordered inside the graph (a reshape and transpose of a few thousand
/// floats per step) and the output is reordered back, so every other node keeps reading plain NCHW. A stride-1 <c>ConvTranspose</c> (the input gradient of a stride-1 convolution) is the
/// convolution of its input with the spatially flipped, transposed kernel, so it takes the same kernels, faster than
/// ORT's <c>ConvTranspose</c> (same section).
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
    /// Rewrites each eligible <c>Conv</c> and stride-1 <c>ConvTranspose</c> of <paramref name="model"/> in place;
    /// returns how many were rewritten. Eligible: float, 2-D, one group, explicit (or no) padding, static channel counts
    /// with the output channels a multiple of <paramref name="block"/> and the input channels either a multiple of it
    /// or fewer than it (the first layer of an image model, read in NCHW directly).
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
        var reorderedWeights = new Dictionary<(string Weight, bool Transposed), string>();
        var result = new List<Node>(graph.Nodes.Count);
        int lowered = 0;
        foreach (var node in graph.Nodes)
        {
            if (Plan(node, types, block) is not { } plan)
            {
                result.Add(node);
                continue;
            }
            string x = node.Inputs[0], w = node.Inputs[1];
            string input = x;
            if (plan.C >= block && !reorderedInputs.TryGetValue(x, out input!))
            {
                input = Fresh($"{x}/nchwc");
                result.Add(new Node("ReorderInput", [x], [input], input, Domain));
                reorderedInputs[x] = input;
            }
            if (!reorderedWeights.TryGetValue((w, plan.Transposed), out var weight))
            {
                weight = Fresh($"{w}/nchwc");
                result.AddRange(ReorderWeight(graph, Fresh, w, weight, plan, block));
                reorderedWeights[(w, plan.Transposed)] = weight;
            }
            string blocked = Fresh($"{node.Outputs[0]}/nchwc");
            result.Add(new Node("Conv", [input, weight, .. node.Inputs.Skip(2).Take(1)], [blocked], node.Name.Length > 0 ? node.Name : blocked, Domain,
                [Attr.Ints("kernel_shape", [plan.Kh, plan.Kw]), Attr.Ints("pads", plan.Pads), Attr.Ints("strides", plan.Strides), Attr.Ints("dilations", plan.Dilations)]));
            result.Add(new Node("ReorderOutput", [blocked], [node.Outputs[0]], Fresh($"{node.Outputs[0]}/nchw"), Domain, [Attr.Int("channels", plan.O)]));
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

    /// <summary>
    /// How a node runs as a blocked convolution: input channels <paramref name="C"/>, output channels
    /// <paramref name="O"/>, the kernel, and the convolution's pads, strides and dilations; <paramref name="Transposed"/>
    /// for a stride-1 ConvTranspose, whose weight [C, O, kh, kw] is flipped and transposed first.
    /// </summary>
    private sealed record ConvPlan(long C, long O, long Kh, long Kw, bool Transposed, long[] Pads, long[] Strides, long[] Dilations);

    private static ConvPlan? Plan(Node node, GraphBuilder types, int block)
    {
        if (node.OpType is not ("Conv" or "ConvTranspose") || node.Domain is not ("" or "ai.onnx") || node.Inputs.Count < 2 || node.Outputs.Count != 1) return null;
        if (node.Inputs.Count > 2 && node.Inputs[2].Length == 0) return null;
        if (node.GetInt("group", 1) != 1 || node.GetString("auto_pad", "NOTSET") != "NOTSET") return null;
        var xt = types[node.Inputs[0]].Type;
        var wt = types[node.Inputs[1]].Type;
        if (xt.ElementType != ElementType.Float32 || xt.Shape is not { Rank: 4 } xs || !xs[1].IsKnown) return null;
        if (wt.Shape is not { Rank: 4, IsFullyKnown: true } ws) return null;
        long c = xs[1].Value!.Value, kh = ws[2].Value!.Value, kw = ws[3].Value!.Value;
        bool transposed = node.OpType == "ConvTranspose";
        // Conv's weight is [O, C, kh, kw]; ConvTranspose's is [C, O, kh, kw] (input channels first).
        long o = transposed ? ws[1].Value!.Value : ws[0].Value!.Value;
        if ((transposed ? ws[0] : ws[1]).Value != c || o % block != 0 || (c % block != 0 && (c >= block || c == 0))) return null;
        // The graph was typed above, so the window's attributes are well-formed.
        var window = ConvWindow.Read(node, [kh, kw], what => new OnnxModelException($"{node.Describe()}: {what}"));
        if (!transposed) return new ConvPlan(c, o, kh, kw, false, window.Pads, window.Strides, window.Dilations);

        // Stride 1 only (a strided one would need zeros between its inputs), and no explicit output shape.
        if (window.Strides.Any(v => v != 1) || node.Attribute("output_shape") is not null || (node.GetInts("output_padding") ?? []).Any(v => v != 0)) return null;
        // Full padding minus the transposed convolution's own: d·(k − 1) − p on each side, which must not be negative.
        long[] convPads = Enumerable.Range(0, 4).Select(i => window.Span(i % 2) - 1 - window.Pads[i]).ToArray();
        return convPads.Any(v => v < 0) ? null : new ConvPlan(c, o, kh, kw, true, convPads, [1, 1], window.Dilations);
    }

    // The convolution weight [O, C, kh, kw] in the blocked filter layout, still shaped [O, C, kh, kw] as the kernel
    // expects: OIHWBiBo ([O/b, C/b, kh, kw, b_in, b_out]) for blocked inputs, OIHWBo ([O/b, C, kh, kw, b_out]) for NCHW
    // inputs. A ConvTranspose weight [C, O, kh, kw] is flipped in both spatial axes and its channel axes swapped in the
    // same transpose.
    private static IEnumerable<Node> ReorderWeight(Graph graph, Func<string, string> fresh, string w, string result, ConvPlan plan, int block)
    {
        var (c, o, kh, kw) = (plan.C, plan.O, plan.Kh, plan.Kw);
        bool blockedInput = c >= block;
        long[] split, perm;
        if (!plan.Transposed)
        {
            split = blockedInput ? [o / block, block, c / block, block, kh, kw] : [o / block, block, c, kh, kw];
            perm = blockedInput ? [0, 2, 4, 5, 3, 1] : [0, 2, 3, 4, 1];
        }
        else
        {
            split = blockedInput ? [c / block, block, o / block, block, kh, kw] : [c, o / block, block, kh, kw];
            perm = blockedInput ? [2, 0, 4, 5, 1, 3] : [1, 0, 3, 4, 2];
            string flipped = fresh($"{w}/flipped");
            string starts = Int64Initializer(graph, fresh($"{w}/flip_starts"), [-1, -1]);
            string ends = Int64Initializer(graph, fresh($"{w}/flip_ends"), [long.MinValue, long.MinValue]);
            string axes = Int64Initializer(graph, fresh($"{w}/flip_axes"), [2, 3]);
            string steps = Int64Initializer(graph, fresh($"{w}/flip_steps"), [-1, -1]);
            yield return new Node("Slice", [w, starts, ends, axes, steps], [flipped], flipped);
            w = flipped;
        }
        string splitShape = Int64Initializer(graph, fresh($"{w}/nchwc_split"), split);
        string backShape = Int64Initializer(graph, fresh($"{w}/nchwc_shape"), [o, c, kh, kw]);
        string s = fresh($"{w}/nchwc_blocks"), t = fresh($"{w}/nchwc_order");
        yield return new Node("Reshape", [w, splitShape], [s], s);
        yield return new Node("Transpose", [s], [t], t, attributes: [Attr.Ints("perm", perm)]);
        yield return new Node("Reshape", [t, backShape], [result], result);
    }

    // A 1-D int64 initializer (shapes and slice bounds); returns its name.
    internal static string Int64Initializer(Graph graph, string name, long[] values)
    {
        graph.Initializers.Add(new Initializer(TensorData.FromInt64s(name, values, values.Length)));
        return name;
    }
}
