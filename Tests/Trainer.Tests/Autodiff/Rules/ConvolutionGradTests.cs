using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Autodiff.GradInputs;

namespace OnnxKit.Tests.Autodiff;

/// <summary>Finite-difference checks of the convolution and pooling rules; see <see cref="GradCheck"/> for the precision of each case.</summary>
[TestClass]
public sealed class ConvolutionGradTests
{
    // ±0.05, ±0.10, … in a fixed shuffled order with alternating-ish signs.
    private static double[] SpacedValues(int n)
    {
        var rnd = new Random(7);
        return Enumerable.Range(1, n).Select(k => k * 0.05 * (rnd.Next(3) == 0 ? -1 : 1)).OrderBy(_ => rnd.Next()).ToArray();
    }

    internal static readonly Dictionary<string, GradCase> Cases = new()
    {
        ["Conv2d_stride_pads_bias"] = new([In.Of("x", "N", 2, 5, 5), In.Of("w", 3, 2, 3, 3), In.Of("b", 3)],
            (g, x) => Op.Conv(x[0], x[1], x[2], strides: [2, 2], pads: [1, 1, 1, 1])) { Float32 = true },
        ["Conv2d_unreached_tail"] = new([In.Of("x", 1, 2, 6, 6), In.Of("w", 2, 2, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2])) { Float32 = true },
        ["Conv1d_dilation"] = new([In.Of("x", 2, 2, 7), In.Of("w", 2, 2, 3), In.Of("b", 2)],
            (g, x) => Op.Conv(x[0], x[1], x[2], dilations: [2], pads: [1, 0])) { Float32 = true },
        ["Conv3d"] = new([In.Of("x", 1, 2, 3, 4, 4), In.Of("w", 2, 2, 2, 2, 2)],
            (g, x) => Op.Conv(x[0], x[1], strides: [1, 2, 2])) { Float32 = true },
        ["Conv2d_groups"] = new([In.Of("x", 2, 4, 5, 5), In.Of("w", 6, 2, 3, 3), In.Of("b", 6)],
            (g, x) => Op.Conv(x[0], x[1], x[2], pads: [1, 1, 1, 1], group: 2)) { Float32 = true },
        ["Conv2d_depthwise_stride"] = new([In.Of("x", 1, 3, 5, 5), In.Of("w", 3, 1, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2], group: 3)) { Float32 = true },
        ["Conv2d_unknown_spatial"] = new([In.Of("x", "N", 2, U, U).Feed(2, 2, 6, 6), In.Of("w", 2, 2, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2], pads: [0, 1, 0, 0])) { Float32 = true },
        // Stride 1 on 14×16 ≥ FlippedConvolutionMinPositions: the input gradient is a convolution with the flipped,
        // transposed kernel (a non-square kernel and uneven pads check both flips and the pad arithmetic).
        ["Conv2d_flipped_input_grad"] = new([In.Of("x", "N", 2, 14, 16).Feed(1, 2, 14, 16), In.Of("w", 3, 2, 3, 5), In.Of("b", 3)],
            (g, x) => Op.Conv(x[0], x[1], x[2], pads: [1, 2, 0, 1])) { Float32 = true },
        // Stride 1 on 6×7 ≤ BatchGemmMaxPositions: the forward and the input gradient (the flipped convolution) both run as
        // one GEMM over an unfold.
        ["Conv2d_small_stride1"] = new([In.Of("x", "N", 3, 6, 7).Feed(2, 3, 6, 7), In.Of("w", 4, 3, 3, 2), In.Of("b", 4)],
            (g, x) => Op.Conv(x[0], x[1], x[2], pads: [1, 0, 1, 1])) { Float32 = true },
        ["Conv2d_same_upper"] = new([In.Of("x", 1, 2, 5, 5), In.Of("w", 2, 2, 3, 3)],
            (g, x) => Op.Conv(x[0], x[1], strides: [2, 2], autoPad: "SAME_UPPER")) { Float32 = true },
        ["ConvTranspose_stride_pads"] = new([In.Of("x", 1, 2, 3, 3), In.Of("w", 2, 3, 3, 3), In.Of("b", 3)],
            (g, x) => Op.ConvTranspose(x[0], x[1], x[2], strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1])) { Float32 = true },
        ["ConvTranspose_groups"] = new([In.Of("x", 2, 4, 3, 3), In.Of("w", 4, 1, 2, 2)],
            (g, x) => Op.ConvTranspose(x[0], x[1], strides: [2, 2], group: 2)) { Float32 = true },
        ["MaxPool"] = new([In.Of("x", "N", 2, 4, 4)], (g, x) => Op.MaxPool(x[0], [2, 2], [2, 2])),
        // ReLU → MaxPool takes the compare-with-upsampled-maximum formulation (float32 only); 5×5 leaves a tail row and
        // column. Values are distinct by 0.05 and at least 0.05 from zero, so the 1e-2 differences change no window's maximum
        // and cross no ReLU kink.
        ["MaxPool_after_relu_tail"] = new([In.Of("x", "N", 2, 5, 5).Feed(2, 2, 5, 5) with { Data = SpacedValues(100) }],
            (g, x) => Op.MaxPool(Op.Relu(x[0]), [2, 2], [2, 2])) { Float32 = true },
        ["MaxPool_overlapping_pads"] = new([In.Of("x", 1, 2, 5, 5)], (g, x) => Op.MaxPool(x[0], [3, 3], [1, 1], [1, 1, 1, 1])),
        ["AveragePool_exclude_pad"] = new([In.Of("x", 1, 2, 5, 5)], (g, x) => Op.AveragePool(x[0], [3, 3], [2, 2], [1, 1, 1, 1])) { Float32 = true },
        ["AveragePool_include_pad"] = new([In.Of("x", 1, 2, 5, 5)], (g, x) => Op.AveragePool(x[0], [3, 3], [2, 2], [1, 1, 1, 1], countIncludePad: true)) { Float32 = true },
        ["AveragePool_no_pad"] = new([In.Of("x", 2, 2, 4, 4)], (g, x) => Op.AveragePool(x[0], [2, 2], [2, 2])) { Float32 = true },
        ["AveragePool_unknown_spatial"] = new([In.Of("x", "N", 2, U, U).Feed(1, 2, 5, 5)], (g, x) => Op.AveragePool(x[0], [3, 3], [2, 2], [1, 0, 1, 0])) { Float32 = true },
        ["GlobalAveragePool"] = new([In.Of("x", "N", 3, 3, 4)], (g, x) => Op.GlobalAveragePool(x[0])) { Float32 = true },
        ["GlobalMaxPool"] = new([In.Of("x", 2, 3, 3, 3)], (g, x) => Op.GlobalMaxPool(x[0])) { Float32 = true },
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferences(string name) => GradCheck.Check(name, Cases[name]);
}
