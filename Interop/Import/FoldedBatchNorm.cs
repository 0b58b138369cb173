using OnnxKit.IR;

namespace OnnxKit.Interop.Import;

/// <summary>
/// Recognises a PyTorch export made in eval mode with constant folding (the exporter's default), which merges each
/// BatchNorm into the convolution before it: the folded weights are new tensors the exporter names
/// <c>onnx::Conv_N</c> (a convolution exported as it is keeps its state_dict name, <c>conv1.weight</c>), and no
/// BatchNormalization node is left. Fine-tuning such a model trains a network without BatchNorm.
/// </summary>
public static class FoldedBatchNorm
{
    /// <summary>A one-line warning with the fix when the graph looks folded; null otherwise.</summary>
    public static string? Detect(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (graph.Nodes.Any(n => n.OpType == "BatchNormalization")) return null;
        var inits = graph.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var folded = graph.Nodes.Where(n => n.OpType is "Conv" or "ConvTranspose"
            && n.Inputs.Skip(1).Any(i => inits.Contains(i) && i.StartsWith("onnx::Conv", StringComparison.Ordinal))).ToList();
        if (folded.Count == 0) return null;
        return $"BatchNorm looks folded into {folded.Count} convolution(s) ({string.Join(", ", folded.Take(3).Select(n => n.Name.Length > 0 ? n.Name : n.Outputs[0]))}"
            + $"{(folded.Count > 3 ? ", …" : "")}: their weights are exporter constants (onnx::Conv_*) and the graph has no BatchNormalization, "
            + "as in an eval-mode export; fine-tuning it trains the network without BatchNorm. Export again from PyTorch with "
            + "torch.onnx.export(..., training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False) to keep the BatchNorm layers";
    }
}
