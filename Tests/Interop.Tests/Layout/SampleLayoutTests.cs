using OnnxKit.Interop.Transfer;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Interop.Layout;

/// <summary>Fitting channel-first dataset samples to a model's declared sample shape, checked value by value.</summary>
[TestClass]
public sealed class SampleLayoutTests
{
    // Two samples [C=3, H=1, W=2]: value = 100·sample + 10·channel + pixel.
    private static TensorDataset ThreeChannels() => new(
        [.. Enumerable.Range(0, 2).SelectMany(s => Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, 2).Select(p => 100f * s + 10 * c + p)))],
        [3, 1, 2], [0L, 1L]);

    [TestMethod]
    public void ChannelsLastShapeTransposesEachSample()
    {
        var fitted = SampleLayout.Fit(ThreeChannels(), [1L, 2L, 3L], InputLayout.Auto, "x");
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, fitted.SampleShape);
        // [H=1, W=2, C=3]: pixel-major, channel fastest.
        CollectionAssert.AreEqual(new[] { 0f, 10, 20, 1, 11, 21, 100, 110, 120, 101, 111, 121 }, fitted.Features);
        CollectionAssert.AreEqual(new[] { 0L, 1L }, fitted.Labels);
    }

    [TestMethod]
    public void OneChannelReshapesWithoutMovingValues()
    {
        var data = new TensorDataset([.. Enumerable.Range(0, 8).Select(i => (float)i)], [1, 2, 2], [0L, 1L]);
        foreach (long?[] target in new[] { new long?[] { 2, 2 }, [2, 2, 1], [4] })
        {
            var fitted = SampleLayout.Fit(data, target, InputLayout.Auto, "x");
            CollectionAssert.AreEqual(target.Select(d => (int)d!.Value).ToArray(), fitted.SampleShape);
            CollectionAssert.AreEqual(data.Features, fitted.Features);
        }
        Assert.AreSame(data, SampleLayout.Fit(data, [1L, null, 2L], InputLayout.Auto, "x"), "a symbolic dimension matching is left as it is");
    }

    [TestMethod]
    public void FlatteningSeveralChannelsNeedsTheLayout()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => SampleLayout.Fit(ThreeChannels(), [6L], InputLayout.Auto, "x"));
        StringAssert.Contains(e.Message, "--input-layout");
        CollectionAssert.AreEqual(ThreeChannels().Features, SampleLayout.Fit(ThreeChannels(), [6L], InputLayout.Nchw, "x").Features);
        CollectionAssert.AreEqual(new[] { 0f, 10, 20, 1, 11, 21 }, SampleLayout.Fit(ThreeChannels(), [6L], InputLayout.Nhwc, "x").Features.Take(6).ToArray());
    }

    [TestMethod]
    public void DifferentValueCountsAreRefusedWithBothShapes()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => SampleLayout.Fit(ThreeChannels(), [5L], InputLayout.Nhwc, "image"));
        StringAssert.Contains(e.Message, "input 'image' takes samples of shape [5], the dataset has [3, 1, 2]");
        var sym = Assert.ThrowsExactly<ArgumentException>(() => SampleLayout.Fit(ThreeChannels(), [null, 6L], InputLayout.Auto, "image"));
        StringAssert.Contains(sym.Message, "symbolic");
    }
}
