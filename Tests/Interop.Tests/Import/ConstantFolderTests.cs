using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Import;

[TestClass]
public sealed class ConstantFolderTests
{
    // PyTorch's x.view(x.size(0), x.size(1) * x.size(2)) with a symbolic batch: the batch entry stays computed, the
    // product of the two known sizes becomes the constant 12.
    private static OnnxModel ViewModel()
    {
        var m = new OnnxModel { IrVersion = 8 };
        m.Opsets[""] = 17;
        var g = m.Graph;
        g.Name = "view";
        g.Inputs.Add(new ValueInfoProto { Name = "x", Type = new TensorType(ElementType.Float32, new Shape("batch", 3, 4)).ToProto() });
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("i0", [0])));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("i1", [1])));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("i2", [2])));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("ax", [0], 1)));
        g.Nodes.Add(new Node("Shape", ["x"], ["s"], name: "shape"));
        g.Nodes.Add(new Node("Gather", ["s", "i0"], ["b"], name: "g0", attributes: [Attr.Int("axis", 0)]));
        g.Nodes.Add(new Node("Gather", ["s", "i1"], ["c"], name: "g1", attributes: [Attr.Int("axis", 0)]));
        g.Nodes.Add(new Node("Gather", ["s", "i2"], ["h"], name: "g2", attributes: [Attr.Int("axis", 0)]));
        g.Nodes.Add(new Node("Mul", ["c", "h"], ["ch"], name: "mul"));
        g.Nodes.Add(new Node("Unsqueeze", ["b", "ax"], ["bu"], name: "u0"));
        g.Nodes.Add(new Node("Unsqueeze", ["ch", "ax"], ["chu"], name: "u1"));
        g.Nodes.Add(new Node("Concat", ["bu", "chu"], ["target"], name: "cat", attributes: [Attr.Int("axis", 0)]));
        g.Nodes.Add(new Node("Reshape", ["x", "target"], ["y"], name: "view"));
        g.Outputs.Add(new ValueInfoProto { Name = "y", Type = new TensorType(ElementType.Float32, null).ToProto() });
        return m;
    }

    [TestMethod]
    public void FoldsTheKnownPartOfAShapeComputation()
    {
        var x = HostTensor.F32("x", Enumerable.Range(0, 60).Select(i => (float)i).ToArray(), 5, 3, 4);
        var before = OrtRun.Run(ViewModel(), x)["y"];
        var m = ViewModel();
        int folded = ConstantFolder.Fold(m);
        Assert.IsTrue(folded >= 2, $"folded {folded}");
        var chu = m.Graph.Producer("chu")!;
        Assert.AreEqual("Constant", chu.OpType, "c·h = 12 is known");
        CollectionAssert.AreEqual(new long[] { 12 }, TensorData.ToInt64Array(chu.GetTensor("value")!));
        Assert.AreEqual("Concat", m.Graph.Producer("target")!.OpType, "[batch, 12] stays computed");
        Assert.AreEqual("Shape", m.Graph.Nodes.Single(n => n.Name == "shape").OpType, "the batch size stays computed");
        Assert.IsFalse(m.Graph.Nodes.Any(n => n.Name is "g1" or "g2" or "mul"), "Gathers of known sizes and their product are gone (folded, then unread)");
        var after = OrtRun.Run(m, x)["y"];
        CollectionAssert.AreEqual(new long[] { 5, 12 }, after.Shape);
        CollectionAssert.AreEqual(before.Floats, after.Floats);
        // With another batch size the folded model still reshapes correctly.
        var x2 = HostTensor.F32("x", new float[24], 2, 3, 4);
        CollectionAssert.AreEqual(new long[] { 2, 12 }, OrtRun.Run(m, x2)["y"].Shape);
    }

    [TestMethod]
    public void NeverFoldsWeights()
    {
        var m = new OnnxModel { IrVersion = 8 };
        m.Opsets[""] = 17;
        var g = m.Graph;
        g.Inputs.Add(new ValueInfoProto { Name = "x", Type = new TensorType(ElementType.Float32, Shape.Of(2, 3)).ToProto() });
        g.Initializers.Add(new Initializer(TensorData.FromFloats("w", [1, 2, 3, 4, 5, 6], 3, 2)));
        g.Nodes.Add(new Node("Transpose", ["w"], ["wt"], name: "t", attributes: [Attr.Ints("perm", [1, 0])]));
        g.Nodes.Add(new Node("Gemm", ["x", "wt"], ["y"], name: "fc", attributes: [Attr.Int("transB", 1)]));
        g.Outputs.Add(new ValueInfoProto { Name = "y" });
        Assert.AreEqual(0, ConstantFolder.Fold(m));
        Assert.AreEqual("Transpose", g.Nodes[0].OpType);
    }
}
