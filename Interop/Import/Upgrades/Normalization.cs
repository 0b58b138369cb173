using OnnxKit.IR;

namespace OnnxKit.Interop.Import.Upgrades;

/// <summary>BatchNormalization and Dropout: their training/inference switches changed form across opsets.</summary>
internal static class Normalization
{
    [Upgrade(15, "BatchNormalization")]
    public static void BatchNormalization(UpgradeContext c)
    {
        var n = c.Node;
        if (c.FromOpset < 9 && n.GetInt("spatial", 1) == 0 && (c.RankOf(n.Inputs[0]) ?? 0) > 2)
            throw c.Fail("spatial=0 (statistics per element, not per channel) has no equivalent since opset 9");
        bool training = n.Outputs.Skip(1).Any(o => o.Length > 0);
        n.Remove("is_test"); n.Remove("spatial"); n.Remove("consumed_inputs");
        if (c.FromOpset < 14 && n.Outputs.Count > 1)
        {
            // Before opset 14 the extra outputs were the updated running statistics and the saved batch statistics;
            // from 14 they exist only with training_mode=1. An imported model is an inference graph: training graphs
            // are generated again by OnnxKit, so statistics outputs nothing reads are dropped.
            var used = n.Outputs.Skip(1).Where(o => o.Length > 0 && (c.Graph.Nodes.Any(m => m.Inputs.Contains(o)) || c.Graph.Outputs.Any(g => g.Name == o))).ToList();
            if (used.Count > 0) throw c.Fail($"its training-mode statistics outputs ({string.Join(", ", used.Select(u => $"'{u}'"))}) are read by the graph; an imported model must be an inference graph");
            n.Outputs.RemoveRange(1, n.Outputs.Count - 1);
        }
        c.Note(training ? "training-mode outputs dropped; inference form" : "'is_test'/'spatial' attributes dropped");
    }

    [Upgrade(12, "Dropout")]
    public static void Dropout(UpgradeContext c)
    {
        var n = c.Node;
        float ratio = n.GetFloat("ratio", 0.5f);
        n.Remove("ratio"); n.Remove("is_test"); n.Remove("consumed_inputs");
        // The ratio becomes input 1 so a training graph keeps it; without training_mode the node is the identity.
        c.SetInput(1, c.Scalar("ratio", ElementType.Float32, ratio));
        if (c.FromOpset < 10 && n.Outputs.Count > 1 && n.Outputs[1].Length > 0 &&
            (c.Graph.Nodes.Any(m => m.Inputs.Contains(n.Outputs[1])) || c.Graph.Outputs.Any(g => g.Name == n.Outputs[1])))
            throw c.Fail($"its mask output '{n.Outputs[1]}' is read by the graph; before opset 10 the mask had the input's type, since then it is bool");
        c.Note($"'ratio' {ratio} moved to input 1");
    }
}
