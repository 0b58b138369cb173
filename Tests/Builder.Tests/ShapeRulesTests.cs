using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>
/// Every shape rule against ONNX Runtime: each case builds a tiny graph with concrete input shapes, runs it
/// on random data, and the shape and element type inferred for each output must equal what ORT produced.
/// </summary>
[TestClass]
public sealed class ShapeRulesTests
{
    /// <summary>One graph: its opset, how to build it, and whether some inferred sizes may stay unknown (data-dependent ops).</summary>
    private sealed record Case(int Opset, Func<GraphBuilder, Value[]> Build, bool DataDependent = false);

    private static Value X(GraphBuilder g, string name, params long[] shape) => g.Input(name, ElementType.Float32, shape.Select(Dim.Of).ToArray());
    private static Value W(GraphBuilder g, params long[] shape) => g.Constant(TensorData.FromFloats("", Random(shape.Aggregate(1L, (a, b) => a * b), 7), shape));
    private static Value Ints(GraphBuilder g, long[] data, params long[] shape) => g.Constant(TensorData.FromInt64s("", data, shape));
    private static Value F(GraphBuilder g, float v) => g.Scalar(v);
    private static Value[] N(GraphBuilder g, string op, Value?[] inputs, int outputs = 1, params Schema.AttributeProto[] attrs) =>
        g.Node(op, inputs, outputs, attrs);

    private static float[] Random(long n, int seed)
    {
        var r = new System.Random(seed);
        return Enumerable.Range(0, (int)n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Convolution and pooling.
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

        // Normalisation.
        ["BatchNormalization"] = new(17, g => [Op.BatchNormalization(X(g, "x", 2, 3, 4, 4), W(g, 3), W(g, 3), W(g, 3), Op.Abs(W(g, 3)))]),
        ["BatchNormalization training, 3 outputs"] = new(15, g => Op.BatchNormalizationTraining(X(g, "x", 4, 3, 2), W(g, 3), W(g, 3), W(g, 3), Op.Abs(W(g, 3)))),
        ["LayerNormalization Y, Mean, InvStdDev"] = new(17, g => N(g, "LayerNormalization", [X(g, "x", 2, 3, 4), W(g, 4), W(g, 4)], 3, Attr.Int("axis", -1))),
        ["LayerNormalization axis 1"] = new(17, g => N(g, "LayerNormalization", [X(g, "x", 2, 3, 4), W(g, 3, 4)], 3, Attr.Int("axis", 1))),
        ["InstanceNormalization"] = new(17, g => [Op.InstanceNormalization(X(g, "x", 2, 3, 5), W(g, 3), W(g, 3))]),
        ["GroupNormalization"] = new(21, g => N(g, "GroupNormalization", [X(g, "x", 2, 4, 3), W(g, 4), W(g, 4)], 1, Attr.Int("num_groups", 2))),
        ["Dropout training with mask"] = new(17, g => Op.Dropout(X(g, "x", 3, 4), 0.3, training: true)),
        ["LRN"] = new(17, g => N(g, "LRN", [X(g, "x", 1, 5, 3, 3)], 1, Attr.Int("size", 3))),
        ["Softmax axis 1"] = new(17, g => [Op.Softmax(X(g, "x", 2, 3, 4), axis: 1)]),
        ["LogSoftmax"] = new(13, g => [Op.LogSoftmax(X(g, "x", 2, 3))]),

        // Reductions.
        ["ReduceSum axes input, keepdims 0"] = new(17, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), [0, -1], keepDims: false)]),
        ["ReduceSum axes attribute (opset 11)"] = new(11, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), [1])]),
        ["ReduceSum all axes"] = new(17, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), null, keepDims: false)]),
        ["ReduceSum noop_with_empty_axes"] = new(17, g => N(g, "ReduceSum", [X(g, "x", 2, 3)], 1, Attr.Int("noop_with_empty_axes", 1))),
        ["ReduceMean attribute axes"] = new(17, g => [Op.ReduceMean(X(g, "x", 2, 3, 4), [1, 2])]),
        ["ReduceMax axes input (opset 18)"] = new(18, g => [Op.ReduceMax(X(g, "x", 2, 3, 4), [1], keepDims: false)]),
        ["ReduceMin all keepdims"] = new(17, g => [Op.ReduceMin(X(g, "x", 2, 3, 4))]),
        ["ReduceProd"] = new(17, g => [Op.ReduceProd(X(g, "x", 2, 3), [0], keepDims: false)]),
        ["ReduceSumSquare"] = new(18, g => [Op.ReduceSumSquare(X(g, "x", 2, 3, 4), [-2])]),
        ["ReduceL1"] = new(17, g => N(g, "ReduceL1", [X(g, "x", 2, 3, 4)], 1, Attr.Ints("axes", [2]), Attr.Int("keepdims", 0))),
        ["ReduceL2"] = new(17, g => [Op.ReduceL2(X(g, "x", 2, 3, 4), [0, 1])]),
        ["ReduceLogSum"] = new(18, g => N(g, "ReduceLogSum", [Op.Abs(X(g, "x", 2, 3, 4)), Ints(g, [1], 1)], 1)),
        ["ReduceLogSumExp"] = new(17, g => [Op.ReduceLogSumExp(X(g, "x", 2, 3, 4), [1], keepDims: false)]),
        ["ArgMax keepdims 0"] = new(17, g => [Op.ArgMax(X(g, "x", 2, 3, 4), axis: 1, keepDims: false)]),
        ["ArgMin select_last_index"] = new(17, g => N(g, "ArgMin", [X(g, "x", 2, 3, 4)], 1, Attr.Int("axis", -1), Attr.Int("select_last_index", 1))),
        ["TopK"] = new(17, g => Op.TopK(X(g, "x", 2, 7, 3), 4, axis: 1)),
        ["CumSum"] = new(17, g => [Op.CumSum(X(g, "x", 2, 3), axis: 1, exclusive: true)]),

        // Shape operators.
        ["Transpose perm"] = new(17, g => [Op.Transpose(X(g, "x", 2, 3, 4), 1, 2, 0)]),
        ["Transpose reverse"] = new(17, g => [Op.Transpose(X(g, "x", 2, 3, 4))]),
        ["Concat"] = new(17, g => [Op.Concat(1, X(g, "a", 2, 3, 4), X(g, "b", 2, 1, 4), X(g, "c", 2, 5, 4))]),
        ["Split sizes input"] = new(17, g => Op.Split(X(g, "x", 2, 9), 1, 2, 3, 4)),
        ["Split attribute (opset 11)"] = new(11, g => Op.Split(X(g, "x", 6, 2), 0, 1, 5)),
        ["Split equal"] = new(17, g => Op.SplitEqual(X(g, "x", 2, 3, 6), -1, 3)),
        ["Split num_outputs uneven (opset 18)"] = new(18, g => Op.SplitEqual(X(g, "x", 7, 2), 0, 3)),
        ["Slice"] = new(17, g => [Op.Slice(X(g, "x", 5, 6, 7), [1, 0], [4, 3], [0, 2])]),
        ["Slice negative step"] = new(17, g => [Op.Slice(X(g, "x", 5, 6), [-1], [-100], [1], [-2])]),
        ["Slice clamped end, step 2"] = new(17, g => [Op.Slice(X(g, "x", 5, 9), [-7, 1], [long.MaxValue, 1000], [1, 0], [2, 3])]),
        ["Slice empty"] = new(17, g => [Op.Slice(X(g, "x", 5, 6), [4], [2], [0])]),
        ["Slice attributes (opset 9)"] = new(9, g => N(g, "Slice", [X(g, "x", 5, 6)], 1, Attr.Ints("starts", [1]), Attr.Ints("ends", [-1]), Attr.Ints("axes", [1]))),
        ["Gather 2-D indices"] = new(17, g => [Op.Gather(X(g, "x", 3, 5, 2), Ints(g, [0, 4, -1, 2, 3, 1], 2, 3), axis: 1)]),
        ["Gather scalar index"] = new(17, g => [Op.Gather(X(g, "x", 3, 5), g.Constant(TensorData.Scalar("", ElementType.Int64, 2)))]),
        ["GatherElements"] = new(17, g => [Op.GatherElements(X(g, "x", 3, 4), Ints(g, [0, 1, 2, 0, 1, 2], 3, 2), axis: 1)]),
        ["GatherND batch_dims 1"] = new(17, g => N(g, "GatherND", [X(g, "x", 2, 3, 4), Ints(g, [1, 2, 0, 1], 2, 1, 2)], 1, Attr.Int("batch_dims", 1))),
        ["GatherND"] = new(17, g => N(g, "GatherND", [X(g, "x", 2, 3, 4), Ints(g, [1, 0, 1], 3, 1)], 1)),
        ["ScatterElements"] = new(17, g => [Op.ScatterElements(X(g, "x", 3, 4), Ints(g, [0, 1, 2], 1, 3), W(g, 1, 3), axis: 1)]),
        ["ScatterND"] = new(17, g => N(g, "ScatterND", [X(g, "x", 4, 3), Ints(g, [1, 3], 2, 1), W(g, 2, 3)], 1)),
        ["Squeeze axes"] = new(17, g => [Op.Squeeze(X(g, "x", 1, 3, 1, 2), 0, -2)]),
        ["Squeeze all ones"] = new(17, g => [Op.Squeeze(X(g, "x", 1, 3, 1, 2))]),
        ["Squeeze attribute (opset 11)"] = new(11, g => [Op.Squeeze(X(g, "x", 3, 1), 1)]),
        ["Unsqueeze"] = new(17, g => [Op.Unsqueeze(X(g, "x", 3, 4), 0, -1, 2)]),
        ["Expand"] = new(17, g => [Op.Expand(X(g, "x", 3, 1), 2, 1, 5)]),
        ["Tile"] = new(17, g => [Op.Tile(X(g, "x", 2, 3), 3, 2)]),
        ["Pad constant"] = new(17, g => [Op.Pad(X(g, "x", 2, 3), [1, 0, 2, 3])]),
        ["Pad reflect, negative"] = new(17, g => [Op.Pad(X(g, "x", 4, 5), [1, -1, 2, 0], mode: "reflect")]),
        ["Pad attribute (opset 10)"] = new(10, g => N(g, "Pad", [X(g, "x", 2, 3)], 1, Attr.Ints("pads", [0, 1, 1, 0]))),
        ["Shape"] = new(17, g => [Op.Shape(X(g, "x", 2, 3, 4))]),
        ["Shape start/end"] = new(15, g => [Op.Shape(X(g, "x", 2, 3, 4, 5), -3, -1)]),
        ["Size"] = new(17, g => [Op.Size(X(g, "x", 2, 3, 4))]),
        ["ConstantOfShape int64"] = new(17, g => [Op.ConstantOfShape(Ints(g, [2, 3], 2), 7, ElementType.Int64)]),
        ["ConstantOfShape default float"] = new(17, g => N(g, "ConstantOfShape", [Ints(g, [4], 1)])),
        ["OneHot"] = new(17, g => [Op.OneHot(Ints(g, [0, 2, 1, 3], 2, 2), 5, g.Constant(TensorData.FromFloats("", [0, 1], 2)), axis: 1)]),
        ["Range"] = new(17, g => [Op.Range(F(g, 1), F(g, 8.5f), F(g, 2))]),
        ["Range int64 descending"] = new(17, g => [Op.Range(g.Scalar(10, ElementType.Int64), g.Scalar(1, ElementType.Int64), g.Scalar(-3, ElementType.Int64))]),
        ["Resize scales"] = new(17, g => [Op.Resize(X(g, "x", 1, 2, 3, 5), [1, 1, 2, 1.5f])]),
        ["Resize sizes"] = new(17, g => N(g, "Resize", [X(g, "x", 1, 2, 3, 5), null, null, Ints(g, [1, 2, 7, 4], 4)], 1)),
        ["Upsample (opset 9)"] = new(9, g => N(g, "Upsample", [X(g, "x", 1, 2, 3, 4), g.Constant(TensorData.FromFloats("", [1, 1, 2, 3], 4))], 1)),
        ["DepthToSpace"] = new(17, g => [Op.DepthToSpace(X(g, "x", 1, 8, 2, 3), 2)]),
        ["SpaceToDepth"] = new(17, g => N(g, "SpaceToDepth", [X(g, "x", 1, 2, 4, 6)], 1, Attr.Int("blocksize", 2))),
        ["Trilu"] = new(17, g => [Op.Trilu(X(g, "x", 2, 3, 4), upper: false, k: 1)]),
        ["NonZero"] = new(17, g => N(g, "NonZero", [X(g, "x", 3, 4)]), DataDependent: true),
        ["Einsum batched matmul"] = new(17, g => [Op.Einsum("bij,bjk->bik", X(g, "a", 2, 3, 4), X(g, "b", 2, 4, 5))]),
        ["Einsum ellipsis"] = new(17, g => [Op.Einsum("...ij,...jk->...ik", X(g, "a", 2, 1, 3, 4), X(g, "b", 1, 6, 4, 5))]),
        ["Einsum implicit output"] = new(17, g => [Op.Einsum("kj,ji", X(g, "a", 3, 4), X(g, "b", 4, 2))]),
        ["Einsum reduce"] = new(17, g => [Op.Einsum("ijk->j", X(g, "a", 2, 3, 4))]),
        ["Einsum ellipsis in the middle"] = new(17, g => [Op.Einsum("i...j->ji...", X(g, "a", 2, 3, 4, 5))]),

        // More forms: old opsets, attribute variants, less common operators.
        ["Conv kernel_shape attribute"] = new(17, g => [Op.Conv(X(g, "x", 1, 2, 6, 7), W(g, 3, 2, 2, 3), kernelShape: [2, 3], strides: [1, 2])]),
        ["ConvTranspose SAME_UPPER"] = new(17, g => [Op.ConvTranspose(X(g, "x", 1, 2, 4, 5), W(g, 2, 3, 3, 3), strides: [2, 2], autoPad: "SAME_UPPER")]),
        ["MaxPool ceil_mode dilation"] = new(17, g => [Op.MaxPool(X(g, "x", 1, 1, 10, 9), [2, 2], strides: [3, 2], dilations: [2, 1], ceilMode: true)]),
        ["AveragePool dilations (opset 19)"] = new(19, g => N(g, "AveragePool", [X(g, "x", 1, 2, 9, 9)], 1, Attr.Ints("kernel_shape", [2, 2]), Attr.Ints("dilations", [2, 2]), Attr.Ints("strides", [2, 1]))),
        ["GlobalLpPool"] = new(17, g => N(g, "GlobalLpPool", [X(g, "x", 2, 3, 4, 5)])),
        ["Hardmax (opset 11 default axis 1)"] = new(11, g => N(g, "Hardmax", [X(g, "x", 2, 3, 4)])),
        ["Dropout ratio attribute (opset 10)"] = new(10, g => N(g, "Dropout", [X(g, "x", 3, 4)], 2, Attr.Float("ratio", 0.2f))),
        ["Dropout inference, mask"] = new(17, g => Op.Dropout(X(g, "x", 3, 4), 0.5, training: false)),
        ["ReduceSum axes input (opset 13)"] = new(13, g => [Op.ReduceSum(X(g, "x", 2, 3, 4), [-1, 0])]),
        ["ReduceMean noop with no axes (opset 18)"] = new(18, g => N(g, "ReduceMean", [X(g, "x", 2, 3)], 1, Attr.Int("noop_with_empty_axes", 1), Attr.Int("keepdims", 0))),
        ["TopK attribute k (opset 9)"] = new(9, g => N(g, "TopK", [X(g, "x", 3, 6)], 2, Attr.Int("k", 2))),
        ["Split equal, no sizes (opset 13)"] = new(13, g => g.Node("Split", [X(g, "x", 4, 6)], 2, [Attr.Int("axis", 1)])),
        ["Squeeze axes input (opset 13)"] = new(13, g => [Op.Squeeze(X(g, "x", 3, 1, 2, 1), -1, 1)]),
        ["Unsqueeze attribute (opset 11)"] = new(11, g => [Op.Unsqueeze(X(g, "x", 3, 2), 1, -1)]),
        ["Pad with axes (opset 18)"] = new(18, g => N(g, "Pad", [X(g, "x", 2, 3, 4), Ints(g, [1, 2, 0, 3], 4), null, Ints(g, [2, 0], 2)])),
        ["Pad edge"] = new(17, g => [Op.Pad(X(g, "x", 3, 2), [0, 1, 2, 1], mode: "edge")]),
        ["Shape start only"] = new(15, g => [Op.Shape(X(g, "x", 2, 3, 4, 5), 1)]),
        ["Gather negative axis"] = new(17, g => [Op.Gather(X(g, "x", 3, 5, 2), Ints(g, [1, 0, 1], 3), axis: -1)]),
        ["GatherElements axis 0"] = new(17, g => [Op.GatherElements(X(g, "x", 3, 4), Ints(g, [2, 0, 1, 1, 0, 0, 2, 2], 2, 4))]),
        ["ScatterElements add"] = new(17, g => [Op.ScatterElements(X(g, "x", 3, 4), Ints(g, [0, 2, 1, 0], 2, 2), W(g, 2, 2), axis: 0, reduction: "add")]),
        ["Compress with axis"] = new(17, g => N(g, "Compress", [X(g, "x", 3, 4), g.Constant(TensorData.FromBools("", [true, false, true], 3))], 1, Attr.Int("axis", 0)), DataDependent: true),
        ["Compress flattened"] = new(17, g => N(g, "Compress", [X(g, "x", 3, 4), g.Constant(TensorData.FromBools("", [true, false, true], 3))]), DataDependent: true),
        ["OneHot axis 0"] = new(17, g => [Op.OneHot(Ints(g, [0, 2, 1], 3), 4, g.Constant(TensorData.FromFloats("", [0, 1], 2)), axis: 0)]),
        ["EyeLike"] = new(17, g => N(g, "EyeLike", [X(g, "x", 3, 5)], 1, Attr.Int("k", 1))),
        ["RandomNormalLike"] = new(17, g => N(g, "RandomNormalLike", [X(g, "x", 3, 5)])),
        ["RandomUniform"] = new(17, g => N(g, "RandomUniform", [], 1, Attr.Ints("shape", [2, 7]))),
        ["Bernoulli"] = new(17, g => N(g, "Bernoulli", [Op.Sigmoid(X(g, "x", 3, 5))])),
        ["Resize axes (opset 18)"] = new(18, g => N(g, "Resize", [X(g, "x", 1, 2, 3, 5), null, g.Constant(TensorData.FromFloats("", [2, 0.5f], 2))], 1, Attr.Ints("axes", [2, 3]))),
        ["Resize sizes, linear (opset 13)"] = new(13, g => N(g, "Resize", [X(g, "x", 1, 1, 4, 4), null, null, Ints(g, [1, 1, 3, 9], 4)], 1, Attr.String("mode", "linear"))),
        ["Einsum diagonal"] = new(17, g => [Op.Einsum("ii->i", X(g, "a", 4, 4))]),
        ["Einsum outer product, implicit"] = new(17, g => [Op.Einsum("i,j", X(g, "a", 3), X(g, "b", 5))]),
        ["Einsum broadcast of size-1 ellipsis"] = new(17, g => [Op.Einsum("...i,...i->...", X(g, "a", 4, 1, 3), X(g, "b", 1, 5, 3))]),
        ["SoftmaxCrossEntropyLoss ignore_index, none"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 4, 3), Ints(g, [0, -1, 1, 1], 4), reduction: "none", ignoreIndex: -1)),
        ["NegativeLogLikelihoodLoss weights, sum"] = new(17, g => [Op.NegativeLogLikelihoodLoss(X(g, "x", 4, 3, 2), Ints(g, [0, 2, 1, 1, 0, 0, 2, 2], 4, 2), W(g, 3), reduction: "sum")]),

        // Losses and the rest.
        ["SoftmaxCrossEntropyLoss mean + log_prob"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 4, 3), Ints(g, [0, 2, 1, 1], 4))),
        ["SoftmaxCrossEntropyLoss none, spatial"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 2, 3, 5), Ints(g, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 2, 5), reduction: "none")),
        ["SoftmaxCrossEntropyLoss sum, weights"] = new(17, g => Op.SoftmaxCrossEntropyLoss(X(g, "x", 4, 3), Ints(g, [0, 2, 1, 1], 4), W(g, 3), reduction: "sum")),
        ["NegativeLogLikelihoodLoss none"] = new(17, g => [Op.NegativeLogLikelihoodLoss(X(g, "x", 2, 3, 2), Ints(g, [0, 2, 1, 1], 2, 2), reduction: "none")]),
        ["NegativeLogLikelihoodLoss mean"] = new(17, g => [Op.NegativeLogLikelihoodLoss(X(g, "x", 4, 3), Ints(g, [0, 2, 1, 1], 4))]),
        ["Flatten"] = new(17, g => [Op.Flatten(X(g, "x", 2, 3, 4), 2)]),
        ["Flatten axis -1"] = new(17, g => [Op.Flatten(X(g, "x", 2, 3, 4), -1)]),
        ["Flatten axis 0"] = new(17, g => [Op.Flatten(X(g, "x", 2, 3, 4), 0)]),
        ["Constant value_ints feeding Reshape"] = new(17, g => [Op.Reshape(X(g, "x", 2, 3, 4), N(g, "Constant", [], 1, Attr.Ints("value_ints", [4, -1]))[0])]),
        ["Constant value_float"] = new(17, g => N(g, "Constant", [], 1, Attr.Float("value_float", 2.5f))),
        ["Range float fractional"] = new(17, g => [Op.Range(F(g, 0.1f), F(g, 1.0f), F(g, 0.3f))]),
        ["Reshape"] = new(17, g => [Op.Reshape(X(g, "x", 2, 3, 4), 0, -1)]),
        ["MatMul 1-D"] = new(17, g => [Op.MatMul(X(g, "a", 2, 3, 4), X(g, "b", 4))]),
        ["Where"] = new(17, g => [Op.Where(Op.Greater(X(g, "a", 3, 1), F(g, 0)), X(g, "b", 1, 4), F(g, 1))]),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    public void TableCoversAtLeastSixtyOperatorForms()
    {
        var ops = new HashSet<string>();
        foreach (var c in Cases.Values)
        {
            var g = new GraphBuilder("t", c.Opset);
            c.Build(g);
            foreach (var n in g.Graph.Nodes) if (n.OpType is not ("Constant" or "Identity")) ops.Add(n.OpType);
        }
        Console.WriteLine($"{Cases.Count} cases over {ops.Count} operators: {string.Join(", ", ops.Order())}");
        Assert.IsGreaterThanOrEqualTo(60, ops.Count, string.Join(", ", ops.Order()));
        Assert.IsGreaterThanOrEqualTo(100, Cases.Count);
    }

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name)
    {
        var c = Cases[name];
        var g = new GraphBuilder("case", c.Opset);
        var outputs = c.Build(g);
        foreach (var o in outputs) g.Output(o);
        var model = g.Build();
        var feeds = model.Graph.Inputs.Select((i, k) =>
        {
            var t = TensorType.FromProto(i.Type)!;
            var shape = t.Shape!.ToArray();
            return HostTensor.F32(i.Name, Random(shape.Aggregate(1L, (a, b) => a * b), 100 + k), shape);
        }).ToArray();
        var actual = OrtRun.Run(model, feeds);
        foreach (var o in outputs)
        {
            var got = actual[o.Name];
            var inferred = o.Type;
            Assert.AreEqual(got.Type, inferred.ElementType, $"{name}: element type of '{o.Name}'");
            Assert.IsNotNull(inferred.Shape, $"{name}: rank of '{o.Name}' not inferred (ORT gave [{string.Join(", ", got.Shape)}])");
            string expected = "[" + string.Join(", ", got.Shape) + "]";
            Assert.AreEqual(got.Shape.Length, inferred.Shape.Rank, $"{name}: '{o.Name}' inferred {inferred.Shape}, ORT gave {expected}");
            for (int k = 0; k < got.Shape.Length; k++)
            {
                var d = inferred.Shape[k];
                if (c.DataDependent && d.IsUnknown) continue;
                Assert.IsTrue(d.IsKnown && d.Value == got.Shape[k], $"{name}: '{o.Name}' inferred {inferred.Shape}, ORT gave {expected}");
            }
        }
    }
}
