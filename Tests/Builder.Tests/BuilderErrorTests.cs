using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;

namespace OnnxKit.Tests;

/// <summary>Bad input to the Builder fails at once, with a message naming the node or value at fault and what was expected.</summary>
[TestClass]
public sealed class BuilderErrorTests
{
    private static Value W(GraphBuilder g, params long[] shape) =>
        g.Constant(TensorData.FromFloats("", new float[shape.Aggregate(1L, (a, b) => a * b)], shape));

    private static void Contains(string message, params string[] parts)
    {
        foreach (var p in parts) StringAssert.Contains(message, p, $"message: {message}");
    }

    [TestMethod]
    public void MatMulInnerDimensionMismatchNamesBothShapes()
    {
        var g = new GraphBuilder("g");
        var a = g.Input("a", ElementType.Float32, 2, 3);
        var b = g.Input("b", ElementType.Float32, 4, 5);
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Op.MatMul(a, b));
        Contains(e.Message, "MatMul node", "'a': float[2, 3]", "'b': float[4, 5]", "expected equal sizes");
        Assert.AreEqual(0, g.Graph.Nodes.Count, "the failed node is not added");
    }

    [TestMethod]
    public void AddOfUnbroadcastableShapesNamesTheDimensions()
    {
        var g = new GraphBuilder("g");
        var e = Assert.ThrowsExactly<GraphBuildException>(() =>
            Op.Add(g.Input("a", ElementType.Float32, 2, 3), g.Input("b", ElementType.Float32, 4)));
        Contains(e.Message, "Add node", "[2, 3] and [4] cannot be broadcast", "3 vs 4");
    }

    [TestMethod]
    public void ConvChannelMismatchNamesInputAndWeightShapes()
    {
        var g = new GraphBuilder("g");
        var x = g.Input("image", ElementType.Float32, "batch", 3, 32, 32);
        var e = Assert.ThrowsExactly<GraphBuildException>(() => Op.Conv(x, W(g, 16, 4, 3, 3)));
        Contains(e.Message, "Conv node", "channel mismatch", "[batch, 3, 32, 32]", "[16, 4, 3, 3]", "3 channels", "expects 4");
        var grouped = Assert.ThrowsExactly<GraphBuildException>(() => Op.Conv(x, W(g, 16, 1, 3, 3), group: 2));
        Contains(grouped.Message, "group(2) = 2");
        var transposed = Assert.ThrowsExactly<GraphBuildException>(() => Op.ConvTranspose(x, W(g, 4, 2, 3, 3)));
        Contains(transposed.Message, "ConvTranspose node", "[4, 2, 3, 3]", "expects 4");
    }

    [TestMethod]
    public void UnknownStandardOperatorIsRefusedNamingIt()
    {
        var g = new GraphBuilder("g");
        var x = g.Input("x", ElementType.Float32, 2);
        var e = Assert.ThrowsExactly<GraphBuildException>(() => g.Node("Relux", [x]));
        Contains(e.Message, "'Relux' is not an operator of the standard ONNX domain", "domain");
        // In a custom domain it is allowed, with unknown output types.
        var y = g.Node("Relux", [x], domain: "com.example")[0];
        Assert.AreEqual(ElementType.Undefined, y.ElementType);
        Assert.AreEqual(1L, g.Model.Opsets["com.example"]);
    }

    [TestMethod]
    public void DuplicateValueNamesAreRefused()
    {
        var g = new GraphBuilder("g");
        var x = g.Input("x", ElementType.Float32, 2);
        var twice = Assert.ThrowsExactly<GraphBuildException>(() => g.Input("x", ElementType.Float32, 3));
        Contains(twice.Message, "graph input 'x'", "already has a value of that name");

        var y = Op.Relu(x);
        var asOutput = Assert.ThrowsExactly<GraphBuildException>(() => g.Output(y, "x"));
        Contains(asOutput.Message, "'x'", "already has a value of that name");

        var nodeOut = Assert.ThrowsExactly<GraphBuildException>(() => g.Node("Neg", [x], outputNames: ["x"]));
        Contains(nodeOut.Message, "Neg node", "'x'", "value names must be unique");

        var sameTwice = Assert.ThrowsExactly<GraphBuildException>(() => g.Node("Split", [x], attributes: [Attr.Int("axis", 0)], outputNames: ["p", "p"]));
        Contains(sameTwice.Message, "Split node", "two of its outputs 'p'");

        g.Output(y, "y");
        var again = Assert.ThrowsExactly<GraphBuildException>(() => g.Output(g["y"]));
        Contains(again.Message, "'y' is already a graph output");

        var init = Assert.ThrowsExactly<GraphBuildException>(() => g.Initializer(TensorData.FromFloats("x", [1f], 1)));
        Contains(init.Message, "initializer 'x'", "already exists");
    }

    [TestMethod]
    public void ValidateReportsAReadOfAnUndefinedValue()
    {
        var graph = new Graph { Name = "hand" };
        graph.Inputs.Add(new Schema.ValueInfoProto { Name = "x", Type = new TensorType(ElementType.Float32, Shape.Of(2)).ToProto() });
        graph.Nodes.Add(new Node("Add", ["x", "bias"], ["y"], name: "add1"));
        graph.Outputs.Add(new Schema.ValueInfoProto { Name = "y" });
        var e = Assert.ThrowsExactly<OnnxModelException>(() => graph.Validate());
        Contains(e.Message, "graph 'hand'", "Add node 'add1'", "'bias'", "no input, initializer or node defines");

        var noProducer = new Graph { Name = "hand" };
        noProducer.Inputs.Add(new Schema.ValueInfoProto { Name = "x" });
        noProducer.Outputs.Add(new Schema.ValueInfoProto { Name = "z" });
        Contains(Assert.ThrowsExactly<OnnxModelException>(() => noProducer.Validate()).Message, "output 'z' is not computed by any node");
    }

    [TestMethod]
    public void ValidateReportsACycle()
    {
        var graph = new Graph { Name = "loop" };
        graph.Inputs.Add(new Schema.ValueInfoProto { Name = "x" });
        graph.Nodes.Add(new Node("Add", ["x", "b"], ["a"], name: "first"));
        graph.Nodes.Add(new Node("Relu", ["a"], ["b"], name: "second"));
        graph.Outputs.Add(new Schema.ValueInfoProto { Name = "b" });
        var e = Assert.ThrowsExactly<OnnxModelException>(() => graph.Validate());
        Contains(e.Message, "Add node 'first'", "'b'", "before it is computed", "cycle");
    }

    [TestMethod]
    public void ValidateReportsAValueDefinedTwice()
    {
        var graph = new Graph { Name = "dup" };
        graph.Inputs.Add(new Schema.ValueInfoProto { Name = "x" });
        graph.Nodes.Add(new Node("Relu", ["x"], ["y"], name: "r1"));
        graph.Nodes.Add(new Node("Neg", ["x"], ["y"], name: "n1"));
        graph.Outputs.Add(new Schema.ValueInfoProto { Name = "y" });
        Contains(Assert.ThrowsExactly<OnnxModelException>(() => graph.Validate()).Message, "'y' is defined twice", "Neg node 'n1'");
    }

    /// <summary>Each rule family refuses shapes that provably cannot work, saying what it expected.</summary>
    [TestMethod]
    public void RuleFamiliesRefuseImpossibleShapes()
    {
        var g = new GraphBuilder("g", opset: 18);
        var x = g.Input("x", ElementType.Float32, 2, 3, 4);
        var img = g.Input("img", ElementType.Float32, 1, 3, 4, 4);
        void Fails(Func<object> act, params string[] parts) => Contains(Assert.ThrowsExactly<GraphBuildException>(act).Message, parts);

        Fails(() => Op.Concat(1, x, g.Input("y", ElementType.Float32, 2, 3, 5)), "Concat node", "differs from [2, 3, 4] in axis 2", "must match");
        Fails(() => Op.Concat(0, x, g.Input("r2", ElementType.Float32, 2, 3)), "rank 2", "expected rank 3");
        Fails(() => Op.Split(x, 2, 1, 2), "split [1, 2] sums to 3", "size 4 of axis 2");
        Fails(() => g.Node("Split", [x], 2, [Attr.Int("axis", 1)]), "Split node", "axis 1 of [2, 3, 4] (size 3) cannot be split into 2 equal parts");
        Fails(() => Op.Squeeze(x, 1), "cannot squeeze axis 1", "expected 1");
        Fails(() => Op.Transpose(x, 0, 0, 1), "perm [0, 0, 1] is not a permutation");
        Fails(() => Op.Reshape(x, 5, -1), "cannot reshape [2, 3, 4]");
        Fails(() => Op.Slice(x, [0], [1], [0], [0]), "step for axis 0 is 0");
        Fails(() => Op.TopK(x, 5, axis: 1), "K = 5 is larger than axis 1", "expected K ≤ 3");
        Fails(() => Op.Gather(x, g.Input("fi", ElementType.Float32, 2)), "indices 'fi' must be int32 or int64");
        Fails(() => Op.Gather(x, g.Int64s(0, 2), axis: 0), "index 2 is out of range for axis 0");
        Fails(() => Op.ReduceSum(x, [3]), "axis 3 is out of range for rank 3");
        Fails(() => Op.ReduceSum(x, [1, -2]), "name the same axis twice");
        Fails(() => Op.Softmax(x, axis: 3), "Softmax node", "axis 3 is out of range");
        Fails(() => Op.Pad(x, [1, 1]), "pads [1, 1] has 2 entries, expected 6");
        Fails(() => Op.Tile(x, 2, 2), "repeats [2, 2] has 2 entries, expected one per axis");
        Fails(() => Op.Expand(x, 5, 4), "Expand node", "cannot be broadcast", "3 vs 5");
        Fails(() => Op.Einsum("ij,jk->ik", g.Input("m1", ElementType.Float32, 2, 3), g.Input("m2", ElementType.Float32, 4, 5)), "subscript 'j' is 3", "4 in operand 1 'm2'");
        Fails(() => Op.Einsum("ij->ik", g.Input("m3", ElementType.Float32, 2, 3)), "output subscript 'k' appears in no operand");
        Fails(() => Op.Einsum("ijk->i", g.Input("m4", ElementType.Float32, 2, 3)), "names 3 axes");

        Fails(() => Op.MaxPool(img, [5, 5]), "MaxPool node", "smaller than the window 5");
        Fails(() => Op.MaxPool(x, [2, 2]), "must be [N, C, spatial…] with 2 spatial axes");
        Fails(() => Op.Conv(img, W(g, 4, 3, 3, 3), W(g, 5)), "bias B [5] must be [4]");
        Fails(() => Op.Conv(img, W(g, 4, 3, 3)), "weight W [4, 3, 3] has rank 3, expected the rank of X");
        Fails(() => Op.BatchNormalization(img, W(g, 4), W(g, 3), W(g, 3), W(g, 3)), "scale", "[4]", "expected [3]");
        Fails(() => Op.LayerNormalization(x, W(g, 5)), "LayerNormalization node", "cannot be broadcast");
        Fails(() => g.Node1("GroupNormalization", [img, W(g, 3), W(g, 3)], Attr.Int("num_groups", 2)), "3 channels, expected a multiple of num_groups 2");
        Fails(() => Op.DepthToSpace(img, 2), "3 channels, expected a multiple of blocksize² = 4");

        var scores = g.Input("scores", ElementType.Float32, 8, 10);
        Fails(() => Op.SoftmaxCrossEntropyLoss(scores, g.Input("flabels", ElementType.Float32, 8)), "labels 'flabels' must be int32 or int64");
        Fails(() => Op.SoftmaxCrossEntropyLoss(scores, g.Input("l2", ElementType.Int64, 8, 10)), "labels 'l2' [8, 10] do not fit scores [8, 10]", "expected labels of shape [8]");
        Fails(() => Op.SoftmaxCrossEntropyLoss(scores, g.Input("l3", ElementType.Int64, 7)), "expected labels of shape [8]");
        Fails(() => Op.SoftmaxCrossEntropyLoss(scores, g.Input("l4", ElementType.Int64, 8), W(g, 9)), "weights", "must be [10]");
        Fails(() => Op.NegativeLogLikelihoodLoss(scores, g.Input("l5", ElementType.Int64, 8), reduction: "avg"), "reduction 'avg' is not one of none, sum, mean");
    }
}
