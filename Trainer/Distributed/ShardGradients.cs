using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Autodiff;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Training.Distributed;

/// <summary>
/// The gradient graph a rank runs on its shard of a step's batch: forward in training behaviour, loss and backward,
/// with the parameters and buffers as inputs. Outputs <c>loss</c>, <c>output</c>, <c>&lt;param&gt;.grad</c> and
/// <c>&lt;buffer&gt;.next</c>. Unlike the artifacts' <c>gradients.onnx</c> its Dropout masks come from the step counter
/// (<c>optimizer.step</c>), the shard's first row in the step's batch (<see cref="RowOffsetName"/>) and that batch's rows
/// (<see cref="StepRowsName"/>), so the ranks
/// of a job, or the micro-batches of an accumulated step, draw exactly the masks of one fused step on the whole batch.
/// </summary>
internal static class ShardGradients
{
    /// <summary>Int64 scalar input: the row of the step's whole batch at which this shard starts.</summary>
    public const string RowOffsetName = "batch_row_offset";
    /// <summary>Int64 scalar input: the rows of the step's whole batch.</summary>
    public const string StepRowsName = "batch_rows";

    /// <summary>Builds the graph for <paramref name="model"/>; its parameters and buffers are those <paramref name="manifest"/> carries.</summary>
    public static OnnxModel Build(Module model, TensorType inputType, Loss loss, Manifest manifest)
    {
        var g = new GraphBuilder("shard_gradients") { Training = true };
        var y = model.Call(g.Input(TrainingArtifacts.InputName, inputType));
        var lossValue = loss.Compute(y, g.Input(TrainingArtifacts.TargetName, loss.TargetType(y.Type)));
        var parameters = manifest.State.Where(s => s.Kind == "parameter").Select(s => s.Name).ToList();
        var grads = Gradients.Build(g, lossValue, parameters);
        g.Output(lossValue, "loss");
        g.Output(y, "output");
        foreach (var p in parameters) g.Output(grads[p], p + ".grad");
        foreach (var b in manifest.State.Where(s => s.Kind == "buffer"))
            g.Output(TrainingArtifacts.NextBufferValue(g, b.Name), b.Next);
        StepSeededDropout.Apply(g, g.Input(Optimizer.StepCounterName, ElementType.Int64),
            (g.Input(RowOffsetName, ElementType.Int64), g.Input(StepRowsName, ElementType.Int64)));
        var graph = g.Build();
        TrainingArtifacts.PromoteToInputs(graph.Graph, manifest.State.Where(s => s.Kind != "optimizer").Select(s => s.Name));
        DerivedGraphs.Prune(graph.Graph);
        OutputIdentities.Remove(graph.Graph);
        return graph;
    }
}
