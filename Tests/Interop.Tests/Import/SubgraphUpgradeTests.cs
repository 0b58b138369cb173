using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>The bodies of If nodes follow the model's opset too: their nodes are upgraded like the main graph's.</summary>
[TestClass]
public sealed class SubgraphUpgradeTests
{
    private static GraphProto Branch(string name, string op)
    {
        var g = new Graph { Name = name };
        g.Nodes.Add(new Node(op, ["x"], [name + "_h"], name: name + "_op"));
        g.Nodes.Add(new Node("Squeeze", [name + "_h"], [name + "_y"], name: name + "_squeeze", attributes: [Attr.Ints("axes", [0])]));
        g.Nodes.Add(new Node("Softmax", [name + "_y"], [name + "_out"], name: name + "_softmax", attributes: [Attr.Int("axis", 0)]));
        g.Outputs.Add(new ValueInfoProto { Name = name + "_out", Type = new TensorType(ElementType.Float32, Shape.Of(3, 4)).ToProto() });
        return g.ToProto();
    }

    private static OnnxModel Model()
    {
        var m = new OnnxModel { IrVersion = 6 };
        m.Opsets[""] = 11;
        m.Graph.Name = "branches";
        m.Graph.Inputs.Add(new ValueInfoProto { Name = "x", Type = new TensorType(ElementType.Float32, Shape.Of(1, 3, 4)).ToProto() });
        m.Graph.Inputs.Add(new ValueInfoProto { Name = "c", Type = new TensorType(ElementType.Bool, Shape.Scalar).ToProto() });
        m.Graph.Nodes.Add(new Node("If", ["c"], ["y"], name: "if", attributes: [Attr.Graph("then_branch", Branch("then", "Neg")), Attr.Graph("else_branch", Branch("else", "Exp"))]));
        m.Graph.Outputs.Add(new ValueInfoProto { Name = "y", Type = new TensorType(ElementType.Float32, Shape.Of(3, 4)).ToProto() });
        return m;
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void IfBranchesAreUpgradedAndComputeTheSame(bool condition)
    {
        var x = HostTensor.F32("x", Enumerable.Range(0, 12).Select(i => (float)Math.Cos(i)).ToArray(), 1, 3, 4);
        var c = new HostTensor("c", ElementType.Bool, [], new[] { condition });
        var before = OrtRun.Run(Model(), x, c)["y"];
        var r = ModelImporter.Import(Model());
        var ifNode = r.Model.Graph.Nodes.Single(n => n.OpType == "If");
        foreach (var a in ifNode.Attributes)
        {
            var squeeze = a.G.Node.Single(n => n.OpType == "Squeeze");
            Assert.AreEqual(2, squeeze.Input.Count, $"{a.Name}: Squeeze-13 takes its axes as an input");
            Assert.AreEqual(0, squeeze.Attribute.Count);
        }
        Assert.IsTrue(r.Changes.Any(ch => ch.Contains("then_softmax")), string.Join("; ", r.Changes));
        var after = OrtRun.Run(r.Model, x, c)["y"];
        CollectionAssert.AreEqual(before.Shape, after.Shape);
        Compare.Close(before.Floats, after.Floats, 1e-7, 1e-6, $"If({condition})");
    }
}
