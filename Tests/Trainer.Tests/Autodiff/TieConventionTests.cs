using System.Globalization;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>
/// Inputs exactly at a kink, where finite differences see neither side's slope: ReduceMin/ReduceMax with tied extrema
/// and Clip with elements equal to tensor bounds, against PyTorch 1.13 autograd (torch.amin, torch.amax, torch.clamp),
/// in float64.
/// </summary>
[TestClass]
public sealed class TieConventionTests
{
    private static readonly double[] X = [0.7, -0.5, -0.5, 0.7, 0.7, 0.3];
    private static readonly double[] W1 = [0.9, -1.3], W2 = [0.4, -0.8, 1.7], W3 = [1.1, -0.6, 0.5, 2.0, -1.5, 0.25];

    [TestMethod]
    public void TiedExtremaAndValuesOnClipBoundsFollowPyTorch()
    {
        Python.Require("torch");
        var g = new GraphBuilder("ties");
        var x = g.Input("x", ElementType.Float64, 2, 3);
        var lo = g.Input("lo", ElementType.Float64);
        var hi = g.Input("hi", ElementType.Float64);
        Value Weights(string name, double[] w, params long[] dims) => g.Constant(TensorData.FromDoubles(name, w, dims));
        var loss = Op.ReduceSum(Op.ReduceMin(x, [1], keepDims: false) * Weights("w1", W1, 2), keepDims: false)
            + Op.ReduceSum(Op.ReduceMax(x, [0], keepDims: true) * Weights("w2", W2, 1, 3), keepDims: false)
            + Op.ReduceSum(Op.Clip(x, lo, hi) * Weights("w3", W3, 2, 3), keepDims: false);
        var grads = Gradients.Build(g, loss, ["x", "lo", "hi"]);
        g.Output(grads["x"], "dx"); g.Output(grads["lo"], "dlo"); g.Output(grads["hi"], "dhi");
        var ours = OrtRun.Run(g.Build(), HostTensor.F64("x", X, 2, 3), HostTensor.F64("lo", [-0.5]), HostTensor.F64("hi", [0.7]));

        string L(double[] v) => "[" + string.Join(",", v.Select(d => d.ToString("R", CultureInfo.InvariantCulture))) + "]";
        string code = $$"""
            import torch
            x = torch.tensor({{L(X)}}, dtype=torch.float64).reshape(2, 3).requires_grad_()
            lo = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
            hi = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
            w1 = torch.tensor({{L(W1)}}, dtype=torch.float64)
            w2 = torch.tensor({{L(W2)}}, dtype=torch.float64).reshape(1, 3)
            w3 = torch.tensor({{L(W3)}}, dtype=torch.float64).reshape(2, 3)
            loss = (torch.amin(x, 1) * w1).sum() + (torch.amax(x, 0, keepdim=True) * w2).sum() + (torch.clamp(x, lo, hi) * w3).sum()
            loss.backward()
            print(' '.join(repr(v) for v in x.grad.flatten().tolist() + [lo.grad.item(), hi.grad.item()]))
            """;
        var (rc, stdout, stderr) = Python.RunCode(code);
        Assert.AreEqual(0, rc, stderr);
        var torch = stdout.Trim().Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var mine = ours["dx"].Doubles.Concat(ours["dlo"].Doubles).Concat(ours["dhi"].Doubles).ToArray();
        Assert.AreEqual(torch.Length, mine.Length);
        for (int i = 0; i < torch.Length; i++) Assert.AreEqual(torch[i], mine[i], 1e-12, $"element {i}: PyTorch {L(torch)}, OnnxKit {L(mine)}");
    }
}
