using OnnxKit.IR;

namespace OnnxKit.Training.Session.Lowering;

/// <summary>
/// Rewrites <c>SoftmaxCrossEntropyLoss</c> for ONNX Runtime's CUDA provider, which has no kernel for it (ORT would
/// run the loss on the CPU and copy the logits across the bus every step): the same loss as
/// <c>LogSoftmax</c> → <c>GatherElements</c> of each label's log-probability → <c>Neg</c> and the reduction, all with
/// CUDA kernels. The node's optional <c>log_prob</c> output is the <c>LogSoftmax</c>, so gradients built on it are unchanged.
/// </summary>
/// <remarks>
/// Like <see cref="NchwcConvolutions"/> on the CPU, applied to the bytes handed to ORT, never to saved artifacts.
/// Nodes with class weights or an <c>ignore_index</c> are left as they are (<c>onnxkit inspect --provider cuda</c> lists them).
/// </remarks>
internal static class CudaSoftmaxCrossEntropy
{
    /// <summary>Rewrites every eligible node of <paramref name="model"/> in place; returns how many.</summary>
    public static int Apply(OnnxModel model)
    {
        var graph = model.Graph;
        // Squeeze/Unsqueeze read their axes from an input from opset 13 on; older graphs are left alone.
        if (model.Opset < 13 || !graph.Nodes.Any(Eligible)) return 0;
        var names = GraphBuilder.Attach(model);
        var taken = new HashSet<string>();
        string Fresh(string hint)
        {
            string n = names.UniqueName(hint);
            for (int k = 1; !taken.Add(n); k++) n = names.UniqueName($"{hint}_{k}");
            return n;
        }
        string? axis1 = null;
        var result = new List<Node>(graph.Nodes.Count + 8);
        int lowered = 0;
        foreach (var node in graph.Nodes)
        {
            if (!Eligible(node)) { result.Add(node); continue; }
            axis1 ??= NchwcConvolutions.Int64Initializer(graph, Fresh("cuda_sce/axis1"), [1]);
            string p = node.Name.Length > 0 ? node.Name : node.Outputs[0];
            string scores = node.Inputs[0], labels = node.Inputs[1];
            string logp = node.Outputs.Count > 1 && node.Outputs[1].Length > 0 ? node.Outputs[1] : Fresh($"{p}/log_prob");
            string index = Fresh($"{p}/label_index"), picked = Fresh($"{p}/picked"), perSample = Fresh($"{p}/picked_per_sample"), sum = Fresh($"{p}/reduced");
            string reduction = node.GetString("reduction", "mean")!;
            result.Add(new Node("LogSoftmax", [scores], [logp], Fresh($"{p}/LogSoftmax"), attributes: [Attr.Int("axis", 1)]));
            result.Add(new Node("Unsqueeze", [labels, axis1], [index], Fresh($"{p}/Unsqueeze")));
            result.Add(new Node("GatherElements", [logp, index], [picked], Fresh($"{p}/GatherElements"), attributes: [Attr.Int("axis", 1)]));
            result.Add(new Node("Squeeze", [picked, axis1], [perSample], Fresh($"{p}/Squeeze")));
            // −mean / −sum over every position, or −(each position) for 'none'.
            string beforeNeg = reduction switch
            {
                "mean" => Add(result, new Node("ReduceMean", [perSample], [sum], Fresh($"{p}/ReduceMean"), attributes: [Attr.Int("keepdims", 0)])),
                "sum" => Add(result, new Node("ReduceSum", [perSample], [sum], Fresh($"{p}/ReduceSum"), attributes: [Attr.Int("keepdims", 0)])),
                _ => perSample,
            };
            result.Add(new Node("Neg", [beforeNeg], [node.Outputs[0]], Fresh($"{p}/Neg")));
            lowered++;
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(result);
        return lowered;
    }

    private static string Add(List<Node> nodes, Node n) { nodes.Add(n); return n.Outputs[0]; }

    private static bool Eligible(Node n) =>
        n.OpType == "SoftmaxCrossEntropyLoss" && n.Domain is ("" or "ai.onnx")
        && n.Inputs.Count == 2 && n.Attribute("ignore_index") is null
        && n.GetString("reduction", "mean") is "mean" or "sum" or "none";
}
