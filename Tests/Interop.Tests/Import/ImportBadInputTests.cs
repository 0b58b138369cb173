using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>Bad models give clear errors naming the file, node or value; nothing outside the model's folder is read.</summary>
[TestClass]
public sealed class ImportBadInputTests
{
    private static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "onnxkit-import-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    private static OnnxModel Model(Action<Graph> build, int opset = 17)
    {
        var m = new OnnxModel { IrVersion = 8 };
        m.Opsets[""] = opset;
        m.Graph.Name = "bad";
        build(m.Graph);
        return m;
    }

    private static ValueInfoProto Info(string name, params long[] dims) =>
        new() { Name = name, Type = new TensorType(ElementType.Float32, Shape.Of(dims)).ToProto() };

    [TestMethod]
    public void TruncatedFileNamesTheFile()
    {
        string dir = TempDir();
        try
        {
            var m = Model(g => { g.Inputs.Add(Info("x", 2)); g.Nodes.Add(new Node("Relu", ["x"], ["y"])); g.Outputs.Add(Info("y", 2)); });
            var bytes = m.ToBytes();
            string path = Path.Combine(dir, "model.onnx");
            File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
            var e = Assert.ThrowsExactly<OnnxModelException>(() => ModelImporter.Load(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "truncated");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void CycleIsRefusedNamingTheNodes()
    {
        var m = Model(g =>
        {
            g.Inputs.Add(Info("x", 2));
            g.Nodes.Add(new Node("Add", ["x", "b"], ["a"], name: "first"));
            g.Nodes.Add(new Node("Relu", ["a"], ["b"], name: "second"));
            g.Outputs.Add(Info("b", 2));
        });
        var e = Assert.ThrowsExactly<OnnxModelException>(() => ModelImporter.Import(m));
        StringAssert.Contains(e.Message, "cycle");
        StringAssert.Contains(e.Message, "Add node 'first'");
        StringAssert.Contains(e.Message, "Relu node 'second'");
    }

    [TestMethod]
    public void NodesOutOfOrderAreSorted()
    {
        var m = Model(g =>
        {
            g.Inputs.Add(Info("x", 2));
            g.Nodes.Add(new Node("Neg", ["a"], ["y"], name: "late"));
            g.Nodes.Add(new Node("Relu", ["x"], ["a"], name: "early"));
            g.Outputs.Add(Info("y", 2));
        });
        var r = ModelImporter.Import(m);
        CollectionAssert.AreEqual(new[] { "early", "late" }, r.Model.Graph.Nodes.Select(n => n.Name).ToArray());
        CollectionAssert.Contains(r.Changes.ToList(), "nodes put in topological order");
    }

    [TestMethod]
    public void DanglingInputIsNamed()
    {
        var m = Model(g =>
        {
            g.Inputs.Add(Info("x", 2));
            g.Nodes.Add(new Node("Add", ["x", "ghost"], ["y"], name: "adder"));
            g.Outputs.Add(Info("y", 2));
        });
        var e = Assert.ThrowsExactly<OnnxModelException>(() => ModelImporter.Import(m));
        StringAssert.Contains(e.Message, "Add node 'adder' reads 'ghost'");
        StringAssert.Contains(e.Message, "dangling");
    }

    [TestMethod]
    [DataRow("../../etc/passwd")]
    [DataRow("../outside.bin")]
    [DataRow("/etc/passwd")]
    public void ExternalDataOutsideTheFolderIsRefused(string location)
    {
        string root = TempDir();
        try
        {
            string dir = Path.Combine(root, "model");
            Directory.CreateDirectory(dir);
            // A real file with exactly the bytes the tensor needs lies just outside the folder: it must still be refused.
            File.WriteAllBytes(Path.Combine(root, "outside.bin"), new byte[16]);
            var w = new TensorProto { Name = "w", DataType = (int)ElementType.Float32, DataLocation = TensorProto.Types.DataLocation.External };
            w.Dims.Add(4);
            w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            var g = new GraphProto { Name = "escape" };
            g.Initializer.Add(w);
            g.Input.Add(Info("x", 4));
            g.Node.Add(new NodeProto { OpType = "Add", Input = { "x", "w" }, Output = { "y" } });
            g.Output.Add(Info("y", 4));
            var p = new ModelProto { IrVersion = 8, Graph = g };
            p.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
            string path = Path.Combine(dir, "model.onnx");
            File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(p));
            var e = Assert.ThrowsExactly<OnnxModelException>(() => ModelImporter.Load(path));
            StringAssert.Contains(e.Message, "'w'");
            StringAssert.Contains(e.Message, location);
            Assert.IsTrue(e.Message.Contains("outside the model's folder") || e.Message.Contains("relative path inside the model's folder"), e.Message);
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void OpWithoutGradientRuleIsReportedAndRefusedByAutodiff()
    {
        var m = Model(g =>
        {
            g.Inputs.Add(Info("x", 1, 3));
            g.Initializers.Add(new Initializer(TensorData.FromFloats("fc.weight", [1, 2, 3, 4, 5, 6], 3, 2)));
            g.Initializers.Add(new Initializer(TensorData.FromFloats("head.weight", [1, 2, 3, 4], 2, 2)));
            g.Nodes.Add(new Node("MatMul", ["x", "fc.weight"], ["h"], name: "fc"));
            g.Nodes.Add(new Node("Atan", ["h"], ["a"], name: "squash"));
            g.Nodes.Add(new Node("MatMul", ["a", "head.weight"], ["y"], name: "head"));
            g.Outputs.Add(Info("y", 1, 2));
        });
        Assert.IsNull(GradientRegistry.Find("Atan"), "the test needs an operator without a gradient rule");
        var r = ModelImporter.Import(m).Trainability!;
        Assert.IsFalse(r.IsTrainable);
        var b = r.Blockers.Single();
        Assert.AreEqual("squash", b.Node);
        Assert.AreEqual("Atan", b.OpType);
        StringAssert.Contains(b.Reason, "no gradient rule");
        StringAssert.Contains(r.Render(), "Atan node 'squash'");

        // Frozen up to the head, the same model trains: the Atan lies before every trained value.
        Assert.IsTrue(TrainabilityReport.Analyze(m, ["head.weight"]).IsTrainable);

        // And autodiff refuses it with the node's name.
        var gb = GraphBuilder.Attach(m);
        var loss = Op.ReduceSum(gb["y"], keepDims: false);
        var e = Assert.ThrowsExactly<GradientException>(() => Gradients.Build(gb, loss, ["fc.weight"]));
        StringAssert.Contains(e.Message, "squash");
    }

    [TestMethod]
    public void CustomDomainAndMlNodesPassThroughUntouched()
    {
        var m = Model(g =>
        {
            g.Inputs.Add(Info("x", 1, 3));
            g.Initializers.Add(new Initializer(TensorData.FromFloats("w", [1, 2, 3], 1, 3)));
            g.Nodes.Add(new Node("Mul", ["x", "w"], ["h"], name: "scale"));
            g.Nodes.Add(new Node("Normalizer", ["h"], ["n"], name: "norm", domain: "ai.onnx.ml", attributes: [Attr.String("norm", "L2")]));
            g.Nodes.Add(new Node("Squeeze", ["n"], ["y"], name: "sq", attributes: [Attr.Ints("axes", [0])]));
            g.Outputs.Add(Info("y", 3));
        }, opset: 11);
        m.Opsets["ai.onnx.ml"] = 2;
        var before = m.Graph.Nodes[1].ToProto();
        var r = ModelImporter.Import(m);
        Assert.AreEqual(17L, r.Model.Opset);
        Assert.AreEqual(2L, r.Model.Opsets["ai.onnx.ml"]);
        var ml = r.Model.Graph.Nodes.Single(n => n.Domain == "ai.onnx.ml");
        Assert.AreEqual(before, ml.ToProto(), "the ai.onnx.ml node is unchanged");
        var sq = r.Model.Graph.Nodes.Single(n => n.OpType == "Squeeze");
        Assert.AreEqual(2, sq.Inputs.Count, "Squeeze-13 takes its axes as input 1");
        var blocker = r.Trainability!.Blockers.Single();
        Assert.AreEqual("ai.onnx.ml.Normalizer", blocker.OpType);
        StringAssert.Contains(blocker.Reason, "domain 'ai.onnx.ml'");
    }

    [TestMethod]
    public void RemovedOperatorIsNamed()
    {
        var m = Model(g =>
        {
            g.Inputs.Add(Info("x", 1, 3, 2, 2));
            g.Nodes.Add(new Node("ImageScaler", ["x"], ["y"], name: "scaler", attributes: [Attr.Float("scale", 2f)]));
            g.Outputs.Add(Info("y", 1, 3, 2, 2));
        }, opset: 8);
        var e = Assert.ThrowsExactly<OnnxModelException>(() => ModelImporter.Import(m));
        StringAssert.Contains(e.Message, "ImageScaler node 'scaler'");
        StringAssert.Contains(e.Message, "removed");
    }
}

/// <summary>Valid external data (inside the model's folder) imports and runs.</summary>
[TestClass]
public sealed class ImportExternalDataTests
{
    [TestMethod]
    public void ExternalDataInsideTheFolderImports()
    {
        string dir = Path.Combine(Path.GetTempPath(), "onnxkit-import-ext-" + Guid.NewGuid().ToString("N"));
        try
        {
            var m = new OnnxModel { IrVersion = 6 };
            m.Opsets[""] = 11;
            m.Graph.Name = "ext";
            m.Graph.Inputs.Add(new ValueInfoProto { Name = "x", Type = new TensorType(ElementType.Float32, Shape.Of(2, 3)).ToProto() });
            m.Graph.Initializers.Add(new Initializer(TensorData.FromFloats("fc.weight", [1, 2, 3, 4, 5, 6], 3, 2)));
            m.Graph.Nodes.Add(new Node("MatMul", ["x", "fc.weight"], ["h"], name: "fc"));
            m.Graph.Nodes.Add(new Node("Unsqueeze", ["h"], ["y"], name: "u", attributes: [Attr.Ints("axes", [0])]));
            m.Graph.Outputs.Add(new ValueInfoProto { Name = "y", Type = new TensorType(ElementType.Float32, Shape.Of(1, 2, 2)).ToProto() });
            string path = Path.Combine(dir, "model.onnx");
            m.Save(path, new SaveOptions { UseExternalData = true, ExternalThresholdBytes = 0 });
            Assert.IsTrue(File.Exists(path + ".data"));
            var r = ModelImporter.Load(path);
            Assert.IsNotNull(r.Model.Graph.FindInitializer("fc.weight")!.DataSource, "weights stay in the data file until needed");
            var y = OnnxKit.Tests.Support.OrtRun.Run(r.Model, OnnxKit.Tests.Support.HostTensor.F32("x", [1, 0, 0, 0, 1, 0], 2, 3))["y"];
            CollectionAssert.AreEqual(new long[] { 1, 2, 2 }, y.Shape);
            CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4 }, y.Floats);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
