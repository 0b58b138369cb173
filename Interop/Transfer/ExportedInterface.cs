using OnnxKit.Interop.Graphs;
using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// Gives a fine-tuned model the interface of the model it was imported from, so that it replaces it without changes
/// to the code calling it: the imported input and output names (the trainer exports <c>input</c> → <c>output</c>)
/// and the output activation set apart for training (<see cref="TrainableModel.OutputActivation"/>).
/// </summary>
public static class ExportedInterface
{
    /// <summary>Renames <paramref name="exported"/>'s single input and output and appends the activation, in place.</summary>
    /// <param name="exported">The inference model the trainer wrote for <paramref name="model"/> (one input, one output).</param>
    /// <param name="model">The fine-tuned model, whose imported names and activation are restored.</param>
    /// <param name="names">Restore the imported input and output names.</param>
    /// <param name="activation">Append the output activation (when the model has one); false keeps the logits.</param>
    public static void Restore(OnnxModel exported, TrainableModel model, bool names = true, bool activation = true)
    {
        ArgumentNullException.ThrowIfNull(exported);
        ArgumentNullException.ThrowIfNull(model);
        var g = exported.Graph;
        if (g.Inputs.Count != 1 || g.Outputs.Count != 1)
            throw new ArgumentException($"the exported model has {g.Inputs.Count} inputs and {g.Outputs.Count} outputs; expected one of each");
        var taken = GraphNames.All(g);
        string input = g.Inputs[0].Name, output = g.Outputs[0].Name;
        if (names && input != model.InputName)
        {
            string wanted = model.InputName;
            if (taken.Contains(wanted)) GraphNames.Rename(g, wanted, GraphNames.Fresh(taken, wanted + "_inner"));
            GraphNames.Rename(g, input, wanted);
            taken.Add(wanted);
        }
        string finalName = names ? model.ExportedOutputName : output;
        if (activation && model.OutputActivation is { } act)
        {
            string logits = GraphNames.Fresh(taken, "logits");
            taken.Add(logits);
            GraphNames.RenameInNodes(g, output, logits);
            if (taken.Contains(finalName) && finalName != output) GraphNames.Rename(g, finalName, GraphNames.Fresh(taken, finalName + "_inner"));
            var clone = Node.FromProto(act.ToProto());
            clone.Inputs.Clear(); clone.Inputs.Add(logits);
            clone.Outputs.Clear(); clone.Outputs.Add(finalName);
            g.Nodes.Add(clone);
            g.Outputs[0].Name = finalName;
        }
        else if (finalName != output)
        {
            if (taken.Contains(finalName)) GraphNames.Rename(g, finalName, GraphNames.Fresh(taken, finalName + "_inner"));
            GraphNames.Rename(g, output, finalName);
        }
    }
}
