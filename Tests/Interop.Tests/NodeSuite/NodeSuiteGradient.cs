using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Autodiff;
using OnnxKit.Tests.Interop.Import;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Interop.NodeSuite;

/// <summary>What the finite-difference check of a node case's gradient rule gave.</summary>
internal enum GradientOutcome
{
    /// <summary>The gradients with respect to every float input agree with central differences.</summary>
    Pass,
    /// <summary>They do not, or the gradient graph failed to build or run.</summary>
    Fail,
    /// <summary>Not a gradient case: several operators, no rule, an old opset, no float input or output, other types, empty or too large tensors.</summary>
    NotChecked,
}

/// <summary>
/// The gradient check of a node case: its one-operator graph replayed on the checker's inputs (the case's own input
/// data), differentiated by <see cref="Gradients.Build"/> with respect to every float input, and compared with central
/// differences (<see cref="GradCheck"/>; float64 where ONNX Runtime has the kernels, else float32).
/// </summary>
internal static class NodeSuiteGradient
{
    /// <summary>Float inputs above this many elements in total are not checked (two forward runs per element).</summary>
    private const int MaxElements = 400;

    public static (GradientOutcome, string) Check(string name, OnnxModel model, List<TensorProto> inputs)
    {
        var ops = model.Graph.Nodes.Select(n => n.OpType).Distinct().ToList();
        if (ops.Count != 1 || GradientRegistry.Find(ops[0]) is null) return (GradientOutcome.NotChecked, "no gradient rule");
        // The gradient graphs use today's operators (Where, Reshape with a shape input, …): older cases are not replayed.
        if (model.Opset < MinOpset) return (GradientOutcome.NotChecked, $"opset {model.Opset}");
        var inits = model.Graph.Initializers.Select(i => i.Name).ToHashSet();
        var fed = model.Graph.Inputs.Where(i => !inits.Contains(i.Name)).ToList();
        if (fed.Count != inputs.Count || model.Graph.Initializers.Count > 0) return (GradientOutcome.NotChecked, "initializers");
        var types = inputs.Select(t => (ElementType)t.DataType).ToList();
        if (!types.Any(t => t is ElementType.Float32 or ElementType.Float64)) return (GradientOutcome.NotChecked, "no float input");
        if (types.Any(t => t is not (ElementType.Float32 or ElementType.Float64 or ElementType.Int64))) return (GradientOutcome.NotChecked, "input types");
        if (inputs.Where(t => ((ElementType)t.DataType).IsFloat()).Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d)) > MaxElements)
            return (GradientOutcome.NotChecked, "too large");
        if (inputs.Any(t => t.Dims.Contains(0))) return (GradientOutcome.NotChecked, "empty tensor");
        if (TensorType.FromProto(model.Graph.Outputs[0].Type)?.ElementType is not (ElementType.Float32 or ElementType.Float64))
            return (GradientOutcome.NotChecked, "output type");
        var read = model.Graph.Nodes.SelectMany(n => n.Inputs).ToHashSet();
        // The first output only: the others (a mask, indices, saved statistics) are not what a loss is built on.
        var firstOutput = OnnxModel.FromBytes(model.ToBytes());
        firstOutput.Graph.Outputs.RemoveRange(1, firstOutput.Graph.Outputs.Count - 1);
        var ins = inputs.Select((t, k) => new In(fed[k].Name, t.Dims.Select(Dim.Of).ToArray(), t.Dims.ToArray())
        {
            Data = TensorData.ToDoubleArray(t),
            Int64 = types[k] == ElementType.Int64,
            Trainable = types[k] != ElementType.Int64 && read.Contains(fed[k].Name), // an expansion may leave an input unread
        }).ToList();
        bool float32 = !BackendGradientTests.RunsInFloat64(firstOutput, ins);
        var outcome = Run(name, firstOutput, ins, float32);
        // Some kernels exist in float64 but refuse it when run (GRU, LSTM): check those in float32.
        if (!float32 && outcome.Item1 == GradientOutcome.Fail && outcome.Item2.Contains("does not support double", StringComparison.Ordinal))
            outcome = Run(name, firstOutput, ins, float32: true);
        return outcome;
    }

    private const long MinOpset = 13;

    private static (GradientOutcome, string) Run(string name, OnnxModel model, List<In> ins, bool float32)
    {
        try
        {
            GradCheck.Check(name, new GradCase(ins.ToArray(), (g, xs) => BackendGradientTests.Replay(model, g, xs, float32 ? ElementType.Float32 : ElementType.Float64))
            { Float32 = float32, Opset = (int)model.Opset });
            return (GradientOutcome.Pass, "");
        }
        catch (Exception e) // a rule that throws anything is a failure of that case, reported with the others
        {
            string message = string.Join(" ", e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            return (GradientOutcome.Fail, $"gradient: {e.GetType().Name}: {message[..Math.Min(message.Length, 300)]}");
        }
    }
}
