using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>
/// MaxPool over a ReLU where a window holds several equal positive maxima (a constant region lifted by a bias, as a
/// zero image or a zero Integrated-Gradients baseline gives): the window passes back dY once, shared, not once per tie.
/// </summary>
[TestClass]
public sealed class MaxPoolTieTests
{
    [TestMethod]
    public void TiedMaximaShareTheWindowsGradient()
    {
        var g = new GraphBuilder("ties");
        var x = g.Input("x", ElementType.Float32, 1, 1, 4, 6);
        var pooled = Op.MaxPool(Op.Relu(x), [2, 2], [2, 2]);
        var loss = Op.ReduceSum(Op.Mul(pooled, g.Constant(TensorData.FromFloats("w", [1, 2, 3, 4, 5, 6], 1, 1, 2, 3))), keepDims: false);
        g.Output(Gradients.Build(g, loss, ["x"])["x"], "dx");
        // Top-left window: four equal values; top-middle: two equal maxima and two smaller; the rest distinct or negative.
        float[] xs =
        [
            0.5f, 0.5f, 0.7f, 0.1f, -1f, -1f,
            0.5f, 0.5f, 0.7f, 0.2f, -1f, -2f,
            1.0f, 2.0f, 3.0f, 3.0f, 4.0f, 4.0f,
            0.0f, 0.0f, 3.0f, 3.0f, 4.0f, 4.0f,
        ];
        var dx = OrtRun.Run(g.Build(), HostTensor.F32("x", xs, 1, 1, 4, 6))["dx"].Floats;
        float[] expected =
        [
            0.25f, 0.25f, 1.0f, 0, 0, 0,
            0.25f, 0.25f, 1.0f, 0, 0, 0,
            0, 4, 1.25f, 1.25f, 1.5f, 1.5f,
            0, 0, 1.25f, 1.25f, 1.5f, 1.5f,
        ];
        CollectionAssert.AreEqual(expected, dx, "each window's weight split among its maxima; a window of negatives passes nothing");
    }
}
