using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>Load → Save of the fixtures in Tests/data keeps every byte, and ORT computes the same as before and as PyTorch did.</summary>
[TestClass]
public sealed class ModelIoRoundTripTests
{
    [TestMethod]
    public void FixturesArePresent()
    {
        var names = Models().Select(Path.GetFileName).ToArray();
        foreach (var expected in new[] { "torch_mlp.onnx", "torch_cnn.onnx", "torch_encoder.onnx", "torch_shape.onnx", "hand_if.onnx" })
            CollectionAssert.Contains(names, expected);
        foreach (var m in Models()) Assert.IsTrue(SamplesFor(m).Any(), $"{Path.GetFileName(m)} has no sample JSON beside it");
    }

    [TestMethod]
    public void LoadThenSaveIsByteIdentical()
    {
        using var tmp = new TempDir();
        foreach (var path in Models())
        {
            var original = File.ReadAllBytes(path);
            var copy = tmp[Path.GetFileName(path)];
            OnnxModel.Load(path).Save(copy);
            AssertBytesEqual(original, File.ReadAllBytes(copy), Path.GetFileName(path) + " (Load/Save)");
            CollectionAssert.AreEqual(new[] { Path.GetFileName(path) }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName).Where(f => f == Path.GetFileName(path) || f!.Contains(".tmp")).ToArray(),
                "no temporary file left");
            Assert.IsFalse(File.Exists(copy + ".data"), "a model under 2 GB is saved inline by default");
        }
    }

    [TestMethod]
    public void FromBytesThenToBytesIsByteIdentical()
    {
        foreach (var path in Models())
        {
            var original = File.ReadAllBytes(path);
            AssertBytesEqual(original, OnnxModel.FromBytes(original).ToBytes(), Path.GetFileName(path) + " (FromBytes/ToBytes)");
        }
    }

    [TestMethod]
    public void OrtGivesTheSameOutputsOnTheResavedModel()
    {
        using var tmp = new TempDir();
        foreach (var path in Models())
        {
            var copy = tmp[Path.GetFileName(path)];
            OnnxModel.Load(path).Save(copy);
            foreach (var sample in SamplesFor(path))
            {
                // Same session options on both sides (graph optimisations may change the last bits).
                var before = OrtRun.RunFile(path, sample.Inputs);
                AssertSameOutputs(before, OrtRun.RunFile(copy, sample.Inputs), Path.GetFileName(path) + " re-saved");
                var beforeUnoptimised = OrtRun.Run(File.ReadAllBytes(path), sample.Inputs);
                AssertSameOutputs(beforeUnoptimised, OrtRun.Run(OnnxModel.FromBytes(File.ReadAllBytes(path)), sample.Inputs), Path.GetFileName(path) + " via FromBytes/ToBytes");
            }
        }
    }

    [TestMethod]
    public void OrtMatchesTheStoredReferenceOutputs()
    {
        int checkedOutputs = 0;
        foreach (var path in Models())
            foreach (var sample in SamplesFor(path))
            {
                var outs = OrtRun.RunFile(path, sample.Inputs);
                foreach (var expected in sample.Outputs)
                {
                    Assert.IsTrue(outs.TryGetValue(expected.Name, out var actual), $"{Path.GetFileName(path)}: ORT gave no output '{expected.Name}'");
                    CollectionAssert.AreEqual(expected.Shape, actual.Shape, $"{Path.GetFileName(path)}: shape of '{expected.Name}'");
                    Compare.Close(expected.Doubles, actual.Doubles, 1e-5, 0, $"{Path.GetFileName(path)} '{expected.Name}' vs {sample.Reference}");
                    Console.WriteLine($"{Path.GetFileName(path)} '{expected.Name}': max |ORT − {sample.Reference}| = {Compare.MaxAbs(expected.Doubles, actual.Doubles):E2}");
                    checkedOutputs++;
                }
            }
        Assert.IsTrue(checkedOutputs >= 7, $"only {checkedOutputs} reference outputs were compared");
    }

    /// <summary>A NodeProto carrying a field this schema does not know (number 99, varint 42), as a newer ONNX might write.</summary>
    private static readonly byte[] UnknownField = [0x98, 0x06, 0x2A];

    private static OnnxKit.Schema.NodeProto WithUnknownField(OnnxKit.Schema.NodeProto n) =>
        OnnxKit.Schema.NodeProto.Parser.ParseFrom([.. Google.Protobuf.MessageExtensions.ToByteArray(n), .. UnknownField]);

    [TestMethod]
    public void FieldPresenceAndUnknownFieldsSurvive()
    {
        // Edge cases the fixtures do not have: explicitly empty strings (present but ""), absent ir_version,
        // and fields unknown to this schema, on nodes, the graph and the model.
        var node = new OnnxKit.Schema.NodeProto { OpType = "Relu", Name = "", Domain = "", DocString = "" };
        node.Input.Add("x"); node.Output.Add("y");
        var graph = new OnnxKit.Schema.GraphProto { Name = "", DocString = "" };
        graph.Node.Add(WithUnknownField(node));
        graph.Input.Add(new OnnxKit.Schema.ValueInfoProto { Name = "x", Type = new TensorType(ElementType.Float32, Shape.Of([2])).ToProto() });
        graph.Output.Add(new OnnxKit.Schema.ValueInfoProto { Name = "y" });
        var model = new OnnxKit.Schema.ModelProto { Graph = graph, ProducerName = "" };
        model.OpsetImport.Add(new OnnxKit.Schema.OperatorSetIdProto { Domain = "", Version = 17 });
        byte[] bytes = [.. Google.Protobuf.MessageExtensions.ToByteArray(model), .. UnknownField];

        var loaded = OnnxModel.FromBytes(bytes);
        Assert.AreEqual("", loaded.Graph.Nodes[0].Name);
        Assert.AreEqual("", loaded.ProducerName, "a present empty producer name is not null");
        AssertBytesEqual(bytes, loaded.ToBytes(), "edge-case model");

        // Editing the modelled parts keeps the unknown field of the node, and of the model.
        loaded.Graph.Nodes[0].OpType = "Sigmoid";
        loaded.Graph.Nodes[0].Name = "act";
        var rewritten = loaded.ToProto();
        var nodeBytes = Google.Protobuf.MessageExtensions.ToByteArray(rewritten.Graph.Node[0]);
        CollectionAssert.AreEqual(UnknownField, nodeBytes[^3..], "unknown node field after an edit");
        Assert.AreEqual("Sigmoid", rewritten.Graph.Node[0].OpType);
        Assert.IsFalse(rewritten.HasIrVersion, "an absent ir_version must not be invented");
        CollectionAssert.AreEqual(UnknownField, Google.Protobuf.MessageExtensions.ToByteArray(rewritten)[^3..], "unknown model field");
    }

    [TestMethod]
    public void RepeatedMetadataOrOpsetKeysAreRefusedNotMerged()
    {
        var p = OnnxModel.Load(Path.Combine(DataDir, "hand_if.onnx")).ToProto();
        p.MetadataProps.Add(new OnnxKit.Schema.StringStringEntryProto { Key = "labels", Value = "x,y" });
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromBytes(Google.Protobuf.MessageExtensions.ToByteArray(p)));
        StringAssert.Contains(e.Message, "'labels'");
        var q = OnnxModel.Load(Path.Combine(DataDir, "hand_if.onnx")).ToProto();
        q.OpsetImport.Add(new OnnxKit.Schema.OperatorSetIdProto { Domain = "", Version = 17 });
        StringAssert.Contains(Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromBytes(Google.Protobuf.MessageExtensions.ToByteArray(q))).Message, "twice");
    }

    [TestMethod]
    public void HandMadeModelKeepsItsMetadataAndSubgraphs()
    {
        var m = OnnxModel.Load(Path.Combine(DataDir, "hand_if.onnx"));
        Assert.AreEqual("hand-made If model", m.DocString);
        Assert.AreEqual("graph doc", m.Graph.DocString);
        Assert.AreEqual(7L, m.IrVersion);
        CollectionAssert.AreEqual(new[] { "labels", "author" }, m.Metadata.Keys.ToArray());
        Assert.AreEqual("a,b,c", m.Metadata["labels"]);
        var ifNode = m.Graph.Nodes.Single(n => n.OpType == "If");
        Assert.AreEqual("then_branch", ifNode.Attribute("then_branch")!.G.Name);
        Assert.AreEqual("x*k in the then branch", ifNode.Attribute("then_branch")!.G.Node[1].DocString);
        var p = m.ToProto();
        Assert.AreEqual(3L, p.ModelVersion);
        Assert.AreEqual("org.onnxkit.test", p.Domain);
    }

    private static void AssertBytesEqual(byte[] expected, byte[] actual, string what)
    {
        int n = Math.Min(expected.Length, actual.Length), at = 0;
        while (at < n && expected[at] == actual[at]) at++;
        if (at < n || expected.Length != actual.Length)
            Assert.Fail($"{what}: {expected.Length} bytes became {actual.Length}; first difference at byte {at}");
    }
}
