using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>
/// RNN, GRU and LSTM, by unrolling. The rule rewrites the node as its time steps in plain ONNX operators (one MatMul of
/// the whole sequence with W, then per step a MatMul with R, the gate activations and the state update), lets that
/// unrolled forward take the node's place in the training graph (<see cref="GradScope.ReplaceForward"/>, so the forward
/// is computed once), and differentiates it with the other rules (<see cref="Gradients.Backward"/>): backpropagation
/// through time falls out of the MatMul, Split, Sigmoid, Tanh and Where rules, and every activation a step keeps is
/// there for the backward pass without recomputation.
/// </summary>
/// <remarks>
/// Unrolling rather than a <c>Loop</c>/<c>Scan</c> body: ONNX Runtime runs a flat graph of small nodes without the
/// per-iteration subgraph overhead, plans its memory once, and the rule needs no gradient of a control-flow operator. The
/// price is a graph that grows with the sequence length, so the length must be known when the training graph is built
/// (a fixed-size sequence axis). Supported: forward, reverse and bidirectional; initial states; sequence_lens (steps past
/// a sample's length leave its state and give zeros, as ONNX specifies); layout 0 and 1; GRU with either
/// linear_before_reset; LSTM peepholes; activations Sigmoid, Tanh and Relu. Refused with a <see cref="GradientException"/>:
/// a symbolic sequence length, <c>clip</c>, LSTM <c>input_forget</c>, other activations and activation_alpha/beta.
/// </remarks>
internal static class Recurrent
{
    [Gradient("RNN", "GRU", "LSTM")]
    static void Rule(GradScope g)
    {
        var cell = RecurrentCell.Read(g);
        var outputs = cell.Unroll();
        var seeds = new List<(Value, Value)>();
        for (int k = 0; k < outputs.Length; k++)
            if (g.OutputGrad(k) is { } dy) seeds.Add((outputs[k], dy));
        // sequence_lens (input 4) is int32: never differentiated.
        var trained = Enumerable.Range(0, g.InputCount).Where(i => i != 4 && g.NeedsGrad(i)).ToList();
        var grads = Gradients.Backward(g.Graph, seeds, trained.Select(i => g.Node.Inputs[i]));
        // An input given twice (the same value as W and R) gets its gradient once: Backward already summed both uses.
        foreach (var name in trained.Select(i => g.Node.Inputs[i]).Distinct())
            if (grads.TryGetValue(name, out var grad)) g.InputGrad(g.Node.Inputs.IndexOf(name), grad);
        for (int k = 0; k < outputs.Length; k++)
            if (k < g.Node.Outputs.Count && g.Node.Outputs[k].Length > 0) g.ReplaceForward(k, outputs[k]);
    }
}
