using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

[TestClass]
public sealed class DenseTests
{
    [TestMethod]
    public void DenseMatchesHandComputedValues()
    {
        var g = new GraphBuilder("dense");
        var x = g.Input("x", ElementType.Float32, "batch", 3);
        var layer = new Dense(2, Activation.Relu);
        var y = g.Output(layer.Call(x), "y");
        layer.Weight!.Data = [1, 2, 3, -1, -2, -3];
        layer.Bias!.Data = [0.5f, 0.25f];
        // Data set after first use: rebuild so the initializer holds the new values.
        var g2 = new GraphBuilder("dense");
        var y2 = g2.Output(layer.Call(g2.Input("x", ElementType.Float32, "batch", 3)), "y");
        Assert.AreEqual("[batch, 2]", y2.Shape!.ToString());
        var outs = OrtRun.Run(g2.Build(), HostTensor.F32("x", [1, 1, 1, -1, 0, 1], 2, 3));
        // row 0: [6.5, -5.75] -> relu [6.5, 0]; row 1: [2.5, -1.75] -> [2.5, 0]
        Compare.Close(new float[] { 6.5f, 0, 2.5f, 0 }, outs["y"].Floats, 1e-6);
        Assert.AreEqual("0.weight", new Sequential(new Dense(4, inFeatures: 3)).Parameters().First().FullName);
    }

    [TestMethod]
    public void WeightInitializerAppliesWhenTheInputSizeIsGiven()
    {
        var d = new Dense(3, inFeatures: 2, weightInitializer: OnnxKit.Init.Initializers.Constant(0.5f));
        CollectionAssert.AreEqual(Enumerable.Repeat(0.5f, 6).ToArray(), d.Weight!.Data);
        // The bias keeps PyTorch's default U(±1/√2).
        Assert.IsTrue(d.Bias!.Data.All(b => Math.Abs(b) <= 1 / Math.Sqrt(2)));
    }

    [TestMethod]
    public void DenseOnUnflattenedImageFailsNamingTheLayer()
    {
        var g = new GraphBuilder("bad");
        var x = g.Input("x", ElementType.Float32, "batch", 3, 28, 28);
        var model = new Sequential(new Dense(128, Activation.Relu, inFeatures: 3 * 28 * 28));
        var e = Assert.ThrowsExactly<GraphBuildException>(() => model.Call(x));
        StringAssert.Contains(e.Message, "0");
        StringAssert.Contains(e.Message, "Flatten");
    }
}
