using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Convolution family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class ConvolutionShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["Conv2d"] = new(17, g => [Op.Conv(X(g, "x", 2, 3, 9, 9), W(g, 4, 3, 3, 3))]),
        ["Conv2d stride 2 pads 1 + bias"] = new(17, g => [Op.Conv(X(g, "x", 2, 3, 9, 8), W(g, 4, 3, 3, 3), W(g, 4), strides: [2, 2], pads: [1, 1, 1, 1])]),
        ["Conv2d asymmetric pads, dilation 2"] = new(17, g => [Op.Conv(X(g, "x", 1, 2, 10, 11), W(g, 3, 2, 3, 2), pads: [0, 1, 2, 0], dilations: [2, 2])]),
        ["Conv2d group 2"] = new(17, g => [Op.Conv(X(g, "x", 1, 4, 8, 8), W(g, 6, 2, 3, 3), group: 2)]),
        ["Conv2d depthwise"] = new(17, g => [Op.Conv(X(g, "x", 1, 4, 6, 6), W(g, 4, 1, 3, 3), group: 4, pads: [1, 1, 1, 1])]),
        ["Conv2d SAME_UPPER stride 2"] = new(17, g => [Op.Conv(X(g, "x", 1, 3, 9, 10), W(g, 2, 3, 3, 3), strides: [2, 2], autoPad: "SAME_UPPER")]),
        ["Conv2d SAME_LOWER"] = new(17, g => [Op.Conv(X(g, "x", 1, 3, 7, 7), W(g, 2, 3, 4, 4), autoPad: "SAME_LOWER")]),
        ["Conv2d VALID stride 3"] = new(17, g => [Op.Conv(X(g, "x", 1, 3, 11, 10), W(g, 2, 3, 3, 3), strides: [3, 3], autoPad: "VALID")]),
        ["Conv1d"] = new(17, g => [Op.Conv(X(g, "x", 2, 3, 20), W(g, 5, 3, 4), strides: [3])]),
        ["Conv3d"] = new(17, g => [Op.Conv(X(g, "x", 1, 2, 5, 6, 7), W(g, 3, 2, 2, 3, 2), pads: [1, 0, 1, 1, 0, 1])]),
        ["ConvTranspose stride 2"] = new(17, g => [Op.ConvTranspose(X(g, "x", 1, 3, 5, 5), W(g, 3, 4, 3, 3), strides: [2, 2], pads: [1, 1, 1, 1])]),
        ["ConvTranspose output_padding"] = new(17, g => [Op.ConvTranspose(X(g, "x", 1, 3, 5, 4), W(g, 3, 2, 3, 3), strides: [2, 2], outputPadding: [1, 0])]),
        ["ConvTranspose output_shape"] = new(17, g => [Op.ConvTranspose(X(g, "x", 1, 3, 5, 5), W(g, 3, 2, 3, 3), strides: [2, 2], outputShape: [10, 11])]),
        ["ConvTranspose group 2 dilation 2"] = new(17, g => [Op.ConvTranspose(X(g, "x", 1, 4, 4, 4), W(g, 4, 3, 2, 2), group: 2, dilations: [2, 2])]),
        ["ConvTranspose 1d"] = new(17, g => [Op.ConvTranspose(X(g, "x", 2, 3, 7), W(g, 3, 5, 4), strides: [3])]),
        ["MaxPool with indices"] = new(17, g => Op.MaxPoolWithIndices(X(g, "x", 2, 3, 8, 7), [2, 2], strides: [2, 2])),
        ["MaxPool ceil_mode"] = new(17, g => [Op.MaxPool(X(g, "x", 1, 2, 7, 8), [2, 2], strides: [2, 2], ceilMode: true)]),
        ["MaxPool ceil_mode drops a window in the padding"] = new(17, g => [Op.MaxPool(X(g, "x", 1, 2, 5, 5), [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true)]),
        ["MaxPool dilation"] = new(17, g => [Op.MaxPool(X(g, "x", 1, 2, 9, 9), [3, 3], dilations: [2, 2])]),
        ["MaxPool SAME_UPPER"] = new(17, g => N(g, "MaxPool", [X(g, "x", 1, 2, 9, 8)], 1, Attr.Ints("kernel_shape", [3, 3]), Attr.Ints("strides", [2, 2]), Attr.String("auto_pad", "SAME_UPPER"))),
        ["AveragePool pads"] = new(17, g => [Op.AveragePool(X(g, "x", 2, 3, 6, 6), [3, 3], strides: [2, 2], pads: [1, 1, 1, 1])]),
        ["AveragePool 1d ceil_mode"] = new(17, g => [Op.AveragePool(X(g, "x", 2, 3, 10), [3], strides: [2], ceilMode: true)]),
        ["LpPool"] = new(17, g => N(g, "LpPool", [X(g, "x", 1, 3, 6, 7)], 1, Attr.Ints("kernel_shape", [2, 3]), Attr.Ints("strides", [2, 2]))),
        ["GlobalAveragePool"] = new(17, g => [Op.GlobalAveragePool(X(g, "x", 2, 3, 5, 6))]),
        ["GlobalMaxPool 1d"] = new(17, g => [Op.GlobalMaxPool(X(g, "x", 2, 3, 5))]),
        ["Conv kernel_shape attribute"] = new(17, g => [Op.Conv(X(g, "x", 1, 2, 6, 7), W(g, 3, 2, 2, 3), kernelShape: [2, 3], strides: [1, 2])]),
        ["ConvTranspose SAME_UPPER"] = new(17, g => [Op.ConvTranspose(X(g, "x", 1, 2, 4, 5), W(g, 2, 3, 3, 3), strides: [2, 2], autoPad: "SAME_UPPER")]),
        ["MaxPool ceil_mode dilation"] = new(17, g => [Op.MaxPool(X(g, "x", 1, 1, 10, 9), [2, 2], strides: [3, 2], dilations: [2, 1], ceilMode: true)]),
        ["AveragePool dilations (opset 19)"] = new(19, g => N(g, "AveragePool", [X(g, "x", 1, 2, 9, 9)], 1, Attr.Ints("kernel_shape", [2, 2]), Attr.Ints("dilations", [2, 2]), Attr.Ints("strides", [2, 1]))),
        ["GlobalLpPool"] = new(17, g => N(g, "GlobalLpPool", [X(g, "x", 2, 3, 4, 5)])),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
