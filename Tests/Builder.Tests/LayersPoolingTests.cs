using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

[TestClass]
public sealed class LayersPoolingTests
{
    [TestMethod]
    public void PoolingMatchesPyTorch()
    {
        new TorchCheck()
            .Layer("maxpool2d_default_stride", new MaxPool2d(2), "nn.MaxPool2d(2)", [2, 3, 8, 7])
            .Layer("maxpool2d_stride_pad", new MaxPool2d(3, stride: 2, padding: 1), "nn.MaxPool2d(3, stride=2, padding=1)", [2, 3, 9, 8])
            .Layer("maxpool2d_dilation", new MaxPool2d((3, 2), stride: 1, dilation: (2, 1)), "nn.MaxPool2d((3, 2), stride=1, dilation=(2, 1))", [1, 2, 9, 6])
            .Layer("maxpool2d_ceil", new MaxPool2d(3, stride: 2, ceilMode: true), "nn.MaxPool2d(3, stride=2, ceil_mode=True)", [1, 2, 8, 8])
            .Layer("maxpool2d_ceil_pad_last_window", new MaxPool2d(2, stride: 2, padding: 1, ceilMode: true), "nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True)", [1, 2, 5, 5])
            .Layer("avgpool2d_ceil_pad", new AvgPool2d(3, stride: 2, padding: 1, ceilMode: true), "nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)", [1, 2, 8, 8])
            .Layer("avgpool2d_ceil_pad_last_window", new AvgPool2d(2, stride: 2, padding: 1, ceilMode: true), "nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True)", [1, 2, 5, 5])
            .Layer("maxpool1d", new MaxPool1d(3, stride: 2, padding: 1), "nn.MaxPool1d(3, stride=2, padding=1)", [2, 3, 10])
            .Layer("maxpool1d_dilation_ceil", new MaxPool1d(2, dilation: 2, ceilMode: true), "nn.MaxPool1d(2, dilation=2, ceil_mode=True)", [2, 3, 9])
            .Layer("avgpool2d_include_pad", new AvgPool2d(3, stride: 2, padding: 1), "nn.AvgPool2d(3, stride=2, padding=1)", [2, 3, 9, 8])
            .Layer("avgpool2d_exclude_pad", new AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false), "nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)", [2, 3, 9, 8])
            .Layer("avgpool2d_rect", new AvgPool2d((2, 3), stride: (1, 2)), "nn.AvgPool2d((2, 3), stride=(1, 2))", [1, 2, 5, 9])
            .Layer("avgpool2d_ceil", new AvgPool2d(2, ceilMode: true), "nn.AvgPool2d(2, ceil_mode=True)", [1, 2, 5, 5])
            .Layer("avgpool1d", new AvgPool1d(4, stride: 2, padding: 2), "nn.AvgPool1d(4, stride=2, padding=2)", [2, 3, 11])
            .Layer("avgpool1d_exclude_pad", new AvgPool1d(3, padding: 1, countIncludePad: false), "nn.AvgPool1d(3, padding=1, count_include_pad=False)", [2, 3, 10])
            .Layer("global_avg_pool", new GlobalAvgPool(), "nn.AdaptiveAvgPool2d(1)", [2, 3, 5, 6])
            .Add("global_avg_pool_flat", LayersTesting.OneLayer(new GlobalAvgPool(keepDims: false), [2, 3, 5, 6]), "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())",
                [HostTensor.F32("x", LayersTesting.Randn(3, [2, 3, 5, 6]), 2, 3, 5, 6)])
            .Run();
    }

    [TestMethod]
    public void FlattenAndReshapeMatchPyTorch()
    {
        long[] s = [2, 3, 4, 5];
        var x = HostTensor.F32("x", LayersTesting.Randn(4, s), s);
        new TorchCheck()
            .Add("flatten_default", LayersTesting.OneLayer(new Flatten(), s), "nn.Flatten()", [x])
            .Add("flatten_symbolic_batch", LayersTesting.OneLayer(new Flatten(), s, inputDims: ["N", 3, 4, 5]), "nn.Flatten()", [x])
            .Add("flatten_from_2", LayersTesting.OneLayer(new Flatten(2), s), "nn.Flatten(2)", [x])
            .Add("flatten_1_to_2", LayersTesting.OneLayer(new Flatten(1, 2), s, inputDims: ["N", 3, 4, "W"]), "nn.Flatten(1, 2)", [x])
            .Add("flatten_0_to_1", LayersTesting.OneLayer(new Flatten(0, -3), s), "nn.Flatten(0, -3)", [x])
            .Add("reshape", LayersTesting.OneLayer(new Reshape(6, -1, 2), s, inputDims: ["N", 3, 4, 5]), "nn.Identity()", [x], [("y", "x.reshape(x.shape[0], 6, -1, 2)")])
            .Run();
    }

    [TestMethod]
    public void FlattenKeepsSymbolicBatchInTheShape()
    {
        var g = new GraphBuilder("f");
        var y = new Flatten().Call(g.Input("x", ElementType.Float32, "N", 3, 4, 5));
        Assert.AreEqual("[N, 60]", y.Shape!.ToString());
    }

    [TestMethod]
    public void PoolingArgumentsAreChecked()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new MaxPool2d(2, padding: 2));
        StringAssert.Contains(e.Message, "half the kernel size");
        Assert.ThrowsExactly<ArgumentException>(() => new Reshape(-1, -1));
        // Flattening a middle range needs the rank; an input of unknown rank is refused naming the layer and input.
        var g = new GraphBuilder("f");
        var x = g.Input("x", new TensorType(ElementType.Float32, null));
        var e2 = Assert.ThrowsExactly<GraphBuildException>(() => new OnnxKit.Sequential(new Flatten(1, 2)).Call(x));
        StringAssert.Contains(e2.Message, "Flatten '0'");
        StringAssert.Contains(e2.Message, "'x' has unknown rank");
    }
}
