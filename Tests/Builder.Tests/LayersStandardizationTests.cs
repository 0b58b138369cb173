using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

[TestClass]
public sealed class LayersStandardizationTests
{
    [TestMethod]
    public void OneStatisticStandardisesEveryValue()
    {
        var model = LayersTesting.OneLayer(new Standardization([0.25f], [0.5f]), [2, 3]);
        float[] x = [0.25f, 0.75f, 1.25f, -0.25f, 0f, 1f];
        // (x − 0.25) / 0.5, by hand.
        CollectionAssert.AreEqual(new[] { 0f, 1f, 2f, -1f, -0.5f, 1.5f }, OrtRun.Run(model, HostTensor.F32("x", x, 2, 3))["y"].Floats);
        Assert.IsFalse(model.Graph.Initializers.Any(), "the statistics are constants, not parameters to train");
    }

    [TestMethod]
    public void PerChannelStatisticsBroadcastOverPositions()
    {
        // [batch 1, channels 2, 2×1 image]: channel 0 uses (1, 2), channel 1 uses (−1, 4).
        var model = LayersTesting.OneLayer(new Standardization([1f, -1f], [2f, 4f]), [1, 2, 2, 1]);
        float[] x = [3, 5, 3, 7];
        CollectionAssert.AreEqual(new[] { 1f, 2f, 1f, 2f }, OrtRun.Run(model, HostTensor.F32("x", x, 1, 2, 2, 1))["y"].Floats);
    }

    [TestMethod]
    public void BadStatisticsAndShapesAreNamed()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new Standardization([0f], [0f])).Message, "std > 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new Standardization([0f, 1f], [1f])).Message, "2 and 1");
        var e = Assert.ThrowsExactly<GraphBuildException>(() => LayersTesting.OneLayer(new Standardization([0f, 0f, 0f], [1f, 1f, 1f]), [4, 2, 5]));
        StringAssert.Contains(e.Message, "expected [batch, 3, …]");
    }
}
