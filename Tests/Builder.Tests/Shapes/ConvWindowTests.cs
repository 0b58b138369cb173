using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Shapes;

namespace OnnxKit.Tests.Shapes;

/// <summary>
/// The one convolution/pooling window type that shape inference, the gradient rules and the blocked-layout lowering
/// share: output sizes and resolved auto_pad against values worked out by hand from the ONNX operator definitions.
/// </summary>
[TestClass]
public sealed class ConvWindowTests
{
    private static ConvWindow Read(params AttributeProto[] attributes) =>
        ConvWindow.Read(new Node("MaxPool", ["x"], ["y"], attributes: attributes), null, what => new ArgumentException(what));

    private static ConvWindow Window1D(long k, long s = 1, long d = 1, long padBegin = 0, long padEnd = 0, string autoPad = "NOTSET", bool ceil = false) =>
        new([k], [s], [d], [padBegin, padEnd], autoPad, ceil);

    [TestMethod]
    // (input + pads − span) / stride + 1, floor; span = d·(k − 1) + 1.
    [DataRow(3L, 1L, 1L, 1L, 1L, 7L, 7L, DisplayName = "3-wide, padded by one: size kept")]
    [DataRow(3L, 2L, 1L, 0L, 0L, 7L, 3L, DisplayName = "stride 2: windows at 0, 2, 4")]
    [DataRow(3L, 2L, 1L, 0L, 0L, 8L, 3L, DisplayName = "stride 2 leaves the last input unread")]
    [DataRow(3L, 1L, 2L, 0L, 0L, 9L, 5L, DisplayName = "dilation 2: span 5, windows at 0…4")]
    [DataRow(3L, 1L, 2L, 2L, 2L, 9L, 9L, DisplayName = "dilation 2 padded by span/2 keeps the size")]
    [DataRow(2L, 3L, 3L, 1L, 0L, 10L, 3L, DisplayName = "dilation 3, stride 3, begin pad 1: span 4 over 11 → 3")]
    [DataRow(5L, 1L, 1L, 0L, 0L, 3L, 0L, DisplayName = "window wider than the input: 0")]
    public void ExplicitPadsGiveTheFloorFormula(long k, long s, long d, long p0, long p1, long input, long expected) =>
        Assert.AreEqual(expected, Window1D(k, s, d, p0, p1).OutputSize(0, input));

    [TestMethod]
    // Windows of 3, stride 2 over 8: floor mode starts them at 0, 2, 4; ceil mode adds the one at 6 (reads 6, 7 and one past the end).
    [DataRow(8L, 0L, 0L, false, 3L, DisplayName = "floor")]
    [DataRow(8L, 0L, 0L, true, 4L, DisplayName = "ceil adds the partial last window")]
    [DataRow(7L, 0L, 0L, true, 3L, DisplayName = "ceil with nothing partial: same as floor")]
    public void CeilModeAddsAPartialLastWindow(long input, long p0, long p1, bool ceil, long expected) =>
        Assert.AreEqual(expected, Window1D(3, 2, ceil: ceil, padBegin: p0, padEnd: p1).OutputSize(0, input));

    [TestMethod]
    public void CeilModeDropsAWindowThatWouldStartInTheEndPadding()
    {
        // k = 2, s = 2, pads (1, 1) over 5: padded positions −1…5; ceil((5 + 2 − 2) / 2) + 1 = 4 windows would start at
        // −1, 1, 3, 5, but the one at 5 lies wholly in the end padding, so 3 remain (PyTorch's MaxPool1d gives 3 as well).
        Assert.AreEqual(3, Window1D(2, 2, padBegin: 1, padEnd: 1, ceil: true).OutputSize(0, 5));
        Assert.AreEqual(3, Window1D(2, 2, padBegin: 1, padEnd: 1, ceil: false).OutputSize(0, 5));
    }

    [TestMethod]
    // SAME: output ceil(input / s); total pad (out − 1)·s + span − input; UPPER puts the odd one at the end, LOWER at the begin.
    [DataRow(3L, 2L, 1L, 9L, 5L, 1L, 1L, 1L, 1L, DisplayName = "k3 s2 over 9: total 2")]
    [DataRow(3L, 2L, 1L, 8L, 4L, 0L, 1L, 1L, 0L, DisplayName = "k3 s2 over 8: total 1")]
    [DataRow(4L, 1L, 1L, 10L, 10L, 1L, 2L, 2L, 1L, DisplayName = "k4 s1 over 10: total 3")]
    [DataRow(3L, 1L, 2L, 6L, 6L, 2L, 2L, 2L, 2L, DisplayName = "k3 dilation 2 over 6: span 5, total 4")]
    [DataRow(2L, 4L, 1L, 8L, 2L, 0L, 0L, 0L, 0L, DisplayName = "k2 s4 over 8: no pad needed")]
    public void SamePaddingResolvesToHandComputedPads(long k, long s, long d, long input, long output,
        long upperBegin, long upperEnd, long lowerBegin, long lowerEnd)
    {
        var upper = Window1D(k, s, d, autoPad: "SAME_UPPER");
        var lower = Window1D(k, s, d, autoPad: "SAME_LOWER");
        Assert.AreEqual(output, upper.OutputSize(0, input));
        Assert.AreEqual(output, lower.OutputSize(0, input));
        var u = upper.Explicit([input]);
        var l = lower.Explicit([input]);
        CollectionAssert.AreEqual(new[] { upperBegin, upperEnd }, u.Pads, "SAME_UPPER pads");
        CollectionAssert.AreEqual(new[] { lowerBegin, lowerEnd }, l.Pads, "SAME_LOWER pads");
        Assert.AreEqual("NOTSET", u.AutoPad);
        // The resolved window computes the same output size from its explicit pads.
        Assert.AreEqual(output, u.OutputSize(0, input));
        Assert.AreEqual(output, l.OutputSize(0, input));
    }

    [TestMethod]
    public void ValidPaddingIgnoresThePadsAttribute()
    {
        var w = Window1D(3, 2, padBegin: 4, padEnd: 4, autoPad: "VALID");
        Assert.AreEqual(3, w.OutputSize(0, 8));        // ceil((8 − 3 + 1) / 2)
        Assert.AreEqual(0, w.OutputSize(0, 2));
        CollectionAssert.AreEqual(new long[] { 0, 0 }, w.Explicit().Pads);
    }

    [TestMethod]
    public void SamePaddingWithoutInputSizesSaysWhatItNeeds()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Window1D(3, autoPad: "SAME_LOWER").Explicit());
        StringAssert.Contains(e.Message, "SAME_LOWER");
    }

    [TestMethod]
    // s·(in − 1) + output_padding + span − pads; SAME gives in·s.
    [DataRow(3L, 2L, 1L, 1L, 1L, 4L, 1L, "NOTSET", 8L)]
    [DataRow(3L, 2L, 1L, 0L, 0L, 4L, 0L, "NOTSET", 9L)]
    [DataRow(3L, 1L, 2L, 1L, 0L, 5L, 0L, "NOTSET", 8L)]
    [DataRow(3L, 2L, 1L, 1L, 1L, 4L, 0L, "SAME_UPPER", 8L)]
    [DataRow(3L, 2L, 1L, 5L, 5L, 4L, 0L, "VALID", 9L)]
    public void TransposedOutputSizes(long k, long s, long d, long p0, long p1, long input, long outputPadding, string autoPad, long expected) =>
        Assert.AreEqual(expected, Window1D(k, s, d, p0, p1, autoPad).TransposedOutputSize(0, input, outputPadding));

    [TestMethod]
    public void ReadTakesDefaultsAndTheNodesAttributes()
    {
        var w = Read(Attr.Ints("kernel_shape", [3, 2]), Attr.Ints("strides", [2, 1]), Attr.Int("ceil_mode", 1));
        CollectionAssert.AreEqual(new long[] { 3, 2 }, w.Kernel);
        CollectionAssert.AreEqual(new long[] { 2, 1 }, w.Strides);
        CollectionAssert.AreEqual(new long[] { 1, 1 }, w.Dilations);
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0 }, w.Pads);
        Assert.IsTrue(w.CeilMode);
        Assert.AreEqual(5, w.OutputSize(0, 10));   // ceil((10 − 3) / 2) + 1
    }

    [TestMethod]
    public void MalformedAttributesNameWhatIsWrong()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Read()).Message, "'kernel_shape' is required");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Read(Attr.Ints("kernel_shape", [3, 3]), Attr.Ints("pads", [1, 1]))).Message,
            "attribute 'pads' has 2 entries [1, 1], expected 4");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Read(Attr.Ints("kernel_shape", [3]), Attr.String("auto_pad", "SAME"))).Message,
            "auto_pad 'SAME' is not one of");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Read(Attr.Ints("kernel_shape", [3]), Attr.Ints("strides", [0]))).Message,
            "strides [0] must be ≥ 1");
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            ConvWindow.Read(new Node("Conv", ["x", "w"], ["y"]), [3, 3], what => new ArgumentException(what), spatial: 3));
        StringAssert.Contains(e.Message, "expected 3 (one per spatial axis)");
    }
}
