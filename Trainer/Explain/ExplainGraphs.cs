using OnnxKit.IR;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Explain;

/// <summary>
/// The generated ONNX graphs behind the gradient methods. Each is the model's forward graph, a target selection and
/// the reverse-mode gradient (<see cref="Gradients.Build"/>) in standard ONNX operators, so it runs on any ORT
/// binding and execution provider, and a batch of inputs (the interpolation path of Integrated Gradients, the noisy
/// copies of SmoothGrad) goes through in one run.
/// </summary>
/// <remarks>
/// The selection input <c>explain.selection</c> <c>[batch, outputs]</c> weighs each row's outputs: the graph
/// differentiates s = Σₙ Σ_c selection[n, c] · y[n, c]. Rows do not interact in an inference graph, so
/// ∂s/∂xₙ = Σ_c selection[n, c] · ∂y[n, c]/∂xₙ; a one-hot row picks the target and its weight is the row's
/// quadrature weight (IG) or 1/samples (SmoothGrad), so summing the input gradient over the batch inside the graph
/// gives the weighted sum the method needs. Saliency, SmoothGrad and IG therefore share one graph.
/// </remarks>
public static class ExplainGraphs
{
    /// <summary>Input of every generated graph: the per-row weights of the outputs (<c>[batch, outputs]</c>).</summary>
    public const string Selection = "explain.selection";
    /// <summary>Output: the model's output, flattened to <c>[batch, outputs]</c>.</summary>
    public const string Output = "explain.output";
    /// <summary>Output of <see cref="InputGradient"/>: Σₙ ∂s/∂xₙ, shape <c>[1, …sample]</c>.</summary>
    public const string InputGradientSum = "explain.input_gradient";
    /// <summary>Output of <see cref="GradCam"/>: ReLU(Σₖ mean_hw(∂s/∂A)ₖ · Aₖ), shape <c>[batch, h, w]</c>.</summary>
    public const string Cam = "explain.cam";

    /// <summary>The forward graph plus the batch-summed gradient of the selected outputs with respect to <paramref name="input"/>.</summary>
    public static OnnxModel InputGradient(OnnxModel model, string input, string output)
    {
        var g = Open(model);
        var selected = SelectedOutputs(g, output, out var flat);
        var grad = Gradients.Build(g, selected, [input])[input];
        g.Output(flat, Output);
        g.Output(Op.ReduceSum(grad, [0], keepDims: true), InputGradientSum);
        return g.Build();
    }

    /// <summary>The forward graph plus the Grad-CAM map of the feature map <paramref name="layer"/> (a value of rank 4, <c>[batch, channels, h, w]</c>).</summary>
    public static OnnxModel GradCam(OnnxModel model, string output, string layer)
    {
        var g = Open(model);
        var a = g[layer];
        if (a.Shape is { Rank: not 4 } s)
            throw new ArgumentException($"Grad-CAM needs a feature map [batch, channels, h, w]; '{layer}' has shape {s}");
        var selected = SelectedOutputs(g, output, out var flat);
        var dA = Gradients.Build(g, selected, [layer])[layer];
        var channelWeights = Op.ReduceMean(dA, [2, 3], keepDims: true);
        g.Output(flat, Output);
        g.Output(Op.Relu(Op.ReduceSum(Op.Mul(channelWeights, a), [1], keepDims: false)), Cam);
        return g.Build();
    }

    // A copy (Attach extends the model it is given), with the model's own outputs dropped: the generated graph
    // returns only what the explanation reads.
    private static GraphBuilder Open(OnnxModel model)
    {
        var g = GraphBuilder.Attach(OnnxModel.FromBytes(model.ToBytes()));
        g.Graph.Outputs.Clear();
        return g;
    }

    private static Value SelectedOutputs(GraphBuilder g, string output, out Value flat)
    {
        var y = g[output];
        flat = y.Shape is { Rank: 2 } ? y : Op.Flatten(y, 1);
        var selection = g.Input(Selection, new TensorType(ElementType.Float32, flat.Shape));
        return Op.ReduceSum(Op.Mul(flat, selection), keepDims: false);
    }
}
