using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>
/// Symbolic dimensions flow through the rules: a symbol survives exactly where the operator provably keeps the
/// size, a number is inferred where the other sizes determine it, and anything else becomes unknown ("?").
/// </summary>
[TestClass]
public sealed class SymbolicShapeTests
{
    private static Value W(GraphBuilder g, params long[] shape) =>
        g.Constant(TensorData.FromFloats("", new float[shape.Aggregate(1L, (a, b) => a * b)], shape));

    private static Value Ints(GraphBuilder g, params long[] data) => g.Int64s(data);

    [TestMethod]
    public void ConvKeepsBatchAndComputesKnownSpatialSizes()
    {
        var g = new GraphBuilder("conv");
        var x = g.Input("x", ElementType.Float32, "batch", 3, 28, 28);
        Assert.AreEqual("[batch, 8, 28, 28]", Op.Conv(x, W(g, 8, 3, 3, 3), pads: [1, 1, 1, 1]).Shape!.ToString());
        Assert.AreEqual("[batch, 8, 13, 13]", Op.Conv(x, W(g, 8, 3, 3, 3), strides: [2, 2]).Shape!.ToString());
        Assert.AreEqual("[batch, 8, 14, 14]", Op.MaxPool(Op.Conv(x, W(g, 8, 3, 3, 3), autoPad: "SAME_UPPER"), [2, 2], [2, 2]).Shape!.ToString());
        Assert.AreEqual("[batch, 3, 1, 1]", Op.GlobalAveragePool(x).Shape!.ToString());
        Assert.AreEqual("[batch, 4, 56, 56]", Op.ConvTranspose(x, W(g, 3, 4, 2, 2), strides: [2, 2]).Shape!.ToString());
    }

    [TestMethod]
    public void SymbolicSpatialSizesSurviveOnlySizePreservingWindows()
    {
        var g = new GraphBuilder("conv");
        var x = g.Input("x", ElementType.Float32, "n", 3, "h", "w");
        // 3x3 with pad 1 and stride 1 keeps h and w; 1x1 keeps them; SAME with stride 1 keeps them.
        Assert.AreEqual("[n, 4, h, w]", Op.Conv(x, W(g, 4, 3, 3, 3), pads: [1, 1, 1, 1]).Shape!.ToString());
        Assert.AreEqual("[n, 4, h, w]", Op.Conv(x, W(g, 4, 3, 1, 1)).Shape!.ToString());
        Assert.AreEqual("[n, 4, h, w]", Op.Conv(x, W(g, 4, 3, 5, 5), autoPad: "SAME_LOWER").Shape!.ToString());
        // Anything else depends on h: unknown, not a guessed number.
        Assert.AreEqual("[n, 4, ?, ?]", Op.Conv(x, W(g, 4, 3, 3, 3)).Shape!.ToString());
        Assert.AreEqual("[n, 3, ?, ?]", Op.MaxPool(x, [2, 2], [2, 2]).Shape!.ToString());
        // The channel count is still checked, and a symbolic channel axis is accepted.
        var y = g.Input("y", ElementType.Float32, "n", "c", 8, 8);
        Assert.AreEqual("[n, 4, 6, 6]", Op.Conv(y, W(g, 4, 3, 3, 3)).Shape!.ToString());
    }

    [TestMethod]
    public void NormalisationAndReductionShapes()
    {
        var g = new GraphBuilder("norm");
        var x = g.Input("x", ElementType.Float32, "batch", "seq", 16);
        var ln = g.Node("LayerNormalization", [x, W(g, 16), W(g, 16)], 3, [Attr.Int("axis", -1)]);
        Assert.AreEqual("[batch, seq, 16]", ln[0].Shape!.ToString());
        Assert.AreEqual("[batch, seq, 1]", ln[1].Shape!.ToString());
        Assert.AreEqual(ElementType.Float32, ln[2].ElementType);
        Assert.AreEqual("[batch, 16]", Op.ReduceMean(x, [1], keepDims: false).Shape!.ToString());
        Assert.AreEqual("[batch, seq, 1]", Op.ReduceSum(x, [-1]).Shape!.ToString());
        Assert.AreEqual("[]", Op.ReduceMax(x, keepDims: false).Shape!.ToString());
        Assert.AreEqual("[batch, 16]", Op.ArgMax(x, axis: 1, keepDims: false).Shape!.ToString());
        var topk = Op.TopK(x, 3, axis: -1);
        Assert.AreEqual("[batch, seq, 3]", topk[0].Shape!.ToString());
        Assert.AreEqual(ElementType.Int64, topk[1].ElementType);

        var img = g.Input("img", ElementType.Float32, "batch", 6, "h", "w");
        var bn = Op.BatchNormalizationTraining(img, W(g, 6), W(g, 6), W(g, 6), W(g, 6));
        Assert.AreEqual("[batch, 6, h, w]", bn[0].Shape!.ToString());
        Assert.AreEqual("[6]", bn[1].Shape!.ToString());
        var drop = Op.Dropout(img, 0.5, training: true);
        Assert.AreEqual(ElementType.Bool, drop[1].ElementType);
        Assert.AreEqual("[batch, 6, h, w]", drop[1].Shape!.ToString());
    }

    [TestMethod]
    public void LayoutOperatorsKeepSymbolsWhereTheyKeepSizes()
    {
        var g = new GraphBuilder("layout");
        var x = g.Input("x", ElementType.Float32, "batch", 10);
        Assert.AreEqual("[10, batch]", Op.Transpose(x).Shape!.ToString());
        Assert.AreEqual("[batch, 14]", Op.Concat(1, x, g.Input("y", ElementType.Float32, "batch", 4)).Shape!.ToString());
        Assert.AreEqual("[?, 10]", Op.Concat(0, x, g.Input("z", ElementType.Float32, 2, 10)).Shape!.ToString());
        // The whole axis (0 to "infinity", step 1) keeps the symbol; a part of it does not.
        Assert.AreEqual("[batch, 3]", Op.Slice(x, [0, 2], [long.MaxValue, 5]).Shape!.ToString());
        Assert.AreEqual("[?, 10]", Op.Slice(x, [0], [2]).Shape!.ToString());
        Assert.AreEqual("[batch, 4]", Op.Slice(x, [-4], [int.MaxValue], [1]).Shape!.ToString());
        var parts = Op.Split(x, 1, 3, 7);
        Assert.AreEqual("[batch, 3]", parts[0].Shape!.ToString());
        Assert.AreEqual("[?, 10]", Op.SplitEqual(x, 0, 2)[1].Shape!.ToString());
        Assert.AreEqual("[1, batch, 10, 1]", Op.Unsqueeze(x, 0, -1).Shape!.ToString());
        Assert.IsNull(Op.Squeeze(x).Shape, "squeezing all size-1 axes of a symbolic shape: the rank is unknown");
        Assert.AreEqual("[batch, 10]", Op.Squeeze(Op.Unsqueeze(x, 1), 1).Shape!.ToString());
        Assert.AreEqual("[batch, 20]", Op.Tile(x, 1, 2).Shape!.ToString());
        Assert.AreEqual("[batch, 13]", Op.Pad(x, [0, 1, 0, 2]).Shape!.ToString());
        Assert.AreEqual("[batch, 3, 10]", Op.Expand(Op.Unsqueeze(x, 1), 1, 3, 1).Shape!.ToString());
        Assert.AreEqual("[2]", Op.Shape(x).Shape!.ToString());
        Assert.AreEqual("[batch, 2, 3]", Op.Gather(x, g.Constant(TensorData.FromInt64s("", [0, 1, 2, 3, 4, 5], 2, 3)), axis: 1).Shape!.ToString());
        var onehot = Op.OneHot(g.Input("labels", ElementType.Int64, "batch"), 10, g.Constant(TensorData.FromFloats("", [0, 1], 2)));
        Assert.AreEqual("float[batch, 10]", onehot.Type.ToString());
        Assert.AreEqual("int64[2, ?]", g.Node1("NonZero", [x]).Type.ToString());
        var img = g.Input("img", ElementType.Float32, "batch", 3, "h", "w");
        Assert.AreEqual("[batch, 3, h, ?]", Op.Resize(img, [1, 1, 1, 2]).Shape!.ToString());
        Assert.AreEqual("[batch, 12, ?, ?]", g.Node1("SpaceToDepth", [img], Attr.Int("blocksize", 2)).Shape!.ToString());
    }

    [TestMethod]
    public void EinsumAndLossesWithSymbols()
    {
        var g = new GraphBuilder("einsum");
        var a = g.Input("a", ElementType.Float32, "b", "i", 4);
        var b = g.Input("bb", ElementType.Float32, "b", 4, 5);
        Assert.AreEqual("[b, i, 5]", Op.Einsum("bij,bjk->bik", a, b).Shape!.ToString());
        Assert.AreEqual("[4, b, i]", Op.Einsum("...j->j...", a).Shape!.ToString());
        // Implicit output: letters used once, alphabetically (numpy): b and j are summed away.
        Assert.AreEqual("[i, 5]", Op.Einsum("bij,bjk", a, b).Shape!.ToString());

        var scores = g.Input("scores", ElementType.Float32, "batch", 10);
        var labels = g.Input("labels", ElementType.Int64, "batch");
        var mean = Op.SoftmaxCrossEntropyLoss(scores, labels);
        Assert.AreEqual("float[]", mean[0].Type.ToString());
        Assert.AreEqual("float[batch, 10]", mean[1].Type.ToString());
        Assert.AreEqual("float[batch]", Op.SoftmaxCrossEntropyLoss(scores, labels, reduction: "none")[0].Type.ToString());
        var seg = g.Input("seg", ElementType.Float32, "batch", 5, "h", "w");
        var segLabels = g.Input("seg_labels", ElementType.Int32, "batch", "h", "w");
        Assert.AreEqual("float[batch, h, w]", Op.NegativeLogLikelihoodLoss(seg, segLabels, reduction: "none").Type.ToString());
    }

    [TestMethod]
    public void SymbolicInferenceAgreesWithOrtForTwoBatchSizes()
    {
        // A small CNN + head built on a symbolic batch: every inferred dimension must be the batch size where it
        // says "batch" and the number it says elsewhere, for each batch size the model is run with.
        var g = new GraphBuilder("cnn");
        var x = g.Input("x", ElementType.Float32, "batch", 1, 12, 12);
        var c1 = Op.Relu(Op.Conv(x, W(g, 4, 1, 3, 3), W(g, 4), pads: [1, 1, 1, 1]));
        var p1 = Op.MaxPool(c1, [2, 2], [2, 2]);
        var c2 = Op.Conv(p1, W(g, 6, 2, 3, 3), group: 2, strides: [2, 2], autoPad: "SAME_UPPER");
        var flat = Op.Flatten(c2);
        var logits = Op.Gemm(flat, W(g, 6 * 3 * 3, 5));
        var probs = Op.Softmax(logits);
        var top = Op.TopK(probs, 2)[1];
        var ln = Op.LayerNormalization(Op.Reshape(c2, 0, 0, -1), W(g, 9));
        var outs = new[] { c1, p1, c2, flat, logits, top, ln };
        foreach (var o in outs) g.Output(o);
        var model = g.Build();
        foreach (int batch in new[] { 1, 3 })
        {
            var result = OrtRun.Run(model, HostTensor.F32("x", new float[batch * 144], batch, 1, 12, 12));
            foreach (var o in outs)
            {
                var actual = result[o.Name].Shape;
                var inferred = o.Shape!;
                Assert.AreEqual(actual.Length, inferred.Rank, o.Name);
                for (int k = 0; k < actual.Length; k++)
                {
                    var d = inferred[k];
                    long expected = d.Symbol == "batch" ? batch : d.Value ?? -1;
                    Assert.AreEqual(expected, actual[k], $"'{o.Name}': inferred {inferred}, ORT gave [{string.Join(", ", actual)}] for batch {batch}");
                }
            }
        }
    }

    [TestMethod]
    public void ReshapeTargetsBuiltFromShapeOpsKeepTheirSizes()
    {
        // x.view(x.size(0), -1) as exporters write it: Shape → Gather → Unsqueeze → Concat → Reshape.
        var g = new GraphBuilder("view");
        var x = g.Input("x", ElementType.Float32, "batch", 8, 5, 5);
        var size0 = Op.Gather(Op.Shape(x), g.Constant(TensorData.Scalar("", ElementType.Int64, 0)));
        var target = Op.Concat(0, Op.Unsqueeze(size0, 0), g.Int64s(-1));
        var flat = Op.Reshape(x, target);
        Assert.AreEqual("[batch, 200]", flat.Shape!.ToString());
        // Shape(x)[1:] read back as a target, and the shape of one tensor imposed on another.
        var tail = Op.Slice(Op.Shape(x), [1], [long.MaxValue]);
        Assert.AreEqual("[8, 5, 5]", Op.Reshape(g.Input("y", ElementType.Float32, 200), tail).Shape!.ToString());
        Assert.AreEqual("[batch, 8, 5, 5]", Op.Reshape(flat, Op.Shape(x)).Shape!.ToString());
        Assert.AreEqual("[batch, 8, 5, 5]", g.Node1("ConstantOfShape", [Op.Shape(x)]).Shape!.ToString());
        Assert.AreEqual("[batch, 8, 5, 5]", Op.Expand(g.Input("one", ElementType.Float32, 1), Op.Shape(x)).Shape!.ToString());
        // A size computed at run time stays unknown rather than guessed.
        var n = g.Input("n", ElementType.Int64, 1);
        Assert.AreEqual("[?, 200]", Op.Reshape(flat, Op.Concat(0, n, g.Int64s(200))).Shape!.ToString());

        // The same chain alone, run: ORT agrees.
        var h = new GraphBuilder("view_only");
        var hx = h.Input("x", ElementType.Float32, "batch", 8, 5, 5);
        var hflat = h.Output(Op.Reshape(hx, Op.Concat(0, Op.Unsqueeze(Op.Gather(Op.Shape(hx), h.Constant(TensorData.Scalar("", ElementType.Int64, 0))), 0), h.Int64s(-1))), "flat");
        Assert.AreEqual("[batch, 200]", hflat.Shape!.ToString());
        var got = OrtRun.Run(h.Build(), HostTensor.F32("x", new float[3 * 200], 3, 8, 5, 5));
        CollectionAssert.AreEqual(new long[] { 3, 200 }, got["flat"].Shape);
    }

    [TestMethod]
    public void RunTimeArgumentsGiveRankButUnknownSizes()
    {
        var g = new GraphBuilder("dynamic");
        var x = g.Input("x", ElementType.Float32, "batch", 3, 4);
        var axes = g.Input("axes", ElementType.Int64, 1);
        Assert.AreEqual("[?, ?, ?]", g.Node1("ReduceSum", [x, axes]).Shape!.ToString());
        Assert.AreEqual("[?, ?]", g.Node1("ReduceSum", [x, axes], Attr.Int("keepdims", 0)).Shape!.ToString());
        var shape = g.Input("shape", ElementType.Int64, 3);
        Assert.AreEqual("float[?, ?, ?]", g.Node1("ConstantOfShape", [shape]).Type.ToString());
        Assert.AreEqual("[?, ?, ?]", Op.Expand(g.Input("one", ElementType.Float32, 1), shape).Shape!.ToString());
        var unknownRank = g.Input("u", new TensorType(ElementType.Float32, null));
        Assert.AreEqual("[?, 4, ?, ?]", Op.Conv(unknownRank, W(g, 4, 3, 3, 3)).Shape!.ToString());
        Assert.AreEqual("[?, ?]", g.Node1("Tile", [g.Input("t", ElementType.Float32, 2, 3), g.Input("reps", ElementType.Int64, 2)]).Shape!.ToString());
        Assert.AreEqual("int64[2]", Op.Shape(x, 1).Type.ToString());
    }
}
