using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace OnnxKit.Tests;

[TestClass]
public sealed class LayersConvTests
{
    [TestMethod]
    public void ConvolutionsMatchPyTorch()
    {
        new TorchCheck()
            .Layer("conv2d_basic", new Conv2d(3, 4, 3), "nn.Conv2d(3, 4, 3)", [2, 3, 7, 7])
            .Layer("conv2d_stride_pad", new Conv2d(3, 5, (3, 2), stride: (2, 1), padding: (1, 0)), "nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(1, 0))", [2, 3, 9, 8])
            .Layer("conv2d_same_dilated", new Conv2d(2, 4, 4, padding: "same", dilation: 2), "nn.Conv2d(2, 4, 4, padding='same', dilation=2)", [1, 2, 10, 9])
            // Total "same" padding 3 is odd: PyTorch puts the extra cell at the end.
            .Layer("conv2d_same_even_kernel", new Conv2d(2, 3, (4, 2), padding: "same"), "nn.Conv2d(2, 3, (4, 2), padding='same')", [1, 2, 7, 6])
            .Layer("conv2d_valid_groups_nobias", new Conv2d(4, 6, 3, padding: "valid", groups: 2, bias: false), "nn.Conv2d(4, 6, 3, padding='valid', groups=2, bias=False)", [2, 4, 6, 6])
            .Layer("conv2d_depthwise", new Conv2d(4, 4, 3, padding: 1, groups: 4), "nn.Conv2d(4, 4, 3, padding=1, groups=4)", [1, 4, 5, 5])
            .Layer("conv1d_basic", new Conv1d(3, 4, 5, stride: 2, padding: 2), "nn.Conv1d(3, 4, 5, stride=2, padding=2)", [2, 3, 16])
            .Layer("conv1d_same_dilation", new Conv1d(2, 3, 3, padding: "same", dilation: 3), "nn.Conv1d(2, 3, 3, padding='same', dilation=3)", [2, 2, 11])
            .Layer("conv1d_groups", new Conv1d(4, 8, 2, groups: 2, bias: false), "nn.Conv1d(4, 8, 2, groups=2, bias=False)", [1, 4, 7])
            .Layer("convT2d_basic", new ConvTranspose2d(3, 4, 3), "nn.ConvTranspose2d(3, 4, 3)", [2, 3, 5, 5])
            .Layer("convT2d_stride_pad_outpad", new ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, outputPadding: 1), "nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)", [2, 3, 4, 5])
            .Layer("convT2d_groups_dilation", new ConvTranspose2d(4, 6, (3, 2), stride: (2, 3), padding: (2, 1), outputPadding: (1, 2), groups: 2, dilation: 2, bias: false),
                "nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(2, 1), output_padding=(1, 2), groups=2, dilation=2, bias=False)", [1, 4, 4, 3])
            .Run();
    }

    [TestMethod]
    public void ConvolutionWeightsAreDrawnLikePyTorch()
    {
        // fan_in = in/groups · kH · kW = 2·3·3 = 18 → U(±1/√18) for weight and bias.
        var conv = new Conv2d(4, 64, 3, groups: 2);
        double bound = 1 / Math.Sqrt(18);
        var w = conv.Weight.Data;
        CollectionAssert.AreEqual(new long[] { 64, 2, 3, 3 }, conv.Weight.Shape);
        Assert.IsTrue(w.All(v => Math.Abs(v) <= bound), "weight outside U(±1/√fan_in)");
        Assert.IsTrue(w.Max() > 0.9 * bound && w.Min() < -0.9 * bound, $"weight range [{w.Min()}, {w.Max()}] does not fill ±{bound}");
        var b = conv.Bias!.Data;
        Assert.IsTrue(b.All(v => Math.Abs(v) <= bound) && b.Max() > 0.8 * bound, "bias not drawn from U(±1/√fan_in)");
        // ConvTranspose2d: weight [in, out/groups, k, k], fan_in = (out/groups)·k·k = 3·2·2 = 12.
        var ct = new ConvTranspose2d(8, 3, 2);
        CollectionAssert.AreEqual(new long[] { 8, 3, 2, 2 }, ct.Weight.Shape);
        double bt = 1 / Math.Sqrt(12);
        Assert.IsTrue(ct.Weight.Data.All(v => Math.Abs(v) <= bt) && ct.Weight.Data.Max() > 0.8 * bt);
    }

    [TestMethod]
    public void BadConvolutionArgumentsAreRefusedWithTheirNames()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2));
        StringAssert.Contains(e.Message, "groups (2)");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Conv2d(3, 4, 3, stride: 2, padding: "same"));
        StringAssert.Contains(e.Message, "stride 1");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Conv2d(3, 4, new long[] { 3, 3, 3 }));
        StringAssert.Contains(e.Message, "kernel_size has 3 values");
        e = Assert.ThrowsExactly<ArgumentException>(() => new ConvTranspose2d(3, 4, 3, stride: 2, outputPadding: 2));
        StringAssert.Contains(e.Message, "output_padding");
    }
}
