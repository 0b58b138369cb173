using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Schema;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>
/// OnnxModel.Load refuses files whose sizes do not add up (negative or overflowing dims, data of the wrong length,
/// external data outside its file) and graphs that cannot be run (cycles, dangling inputs, values or outputs defined
/// twice), with an OnnxModelException naming the file and the tensor or node.
/// </summary>
[TestClass]
public sealed class ModelIoValidationTests
{
    private static ModelProto Source() => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(DataDir, "torch_mlp.onnx")));

    /// <summary>torch_mlp.onnx with <paramref name="edit"/> applied, saved under a temporary folder.</summary>
    private static string Mutated(TempDir tmp, Action<ModelProto> edit)
    {
        var p = Source();
        edit(p);
        string path = tmp["m.onnx"];
        File.WriteAllBytes(path, p.ToByteArray());
        return path;
    }

    private static TensorProto Tensor(string name, ElementType type, long[] dims, int rawBytes)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(new byte[rawBytes]) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static string LoadError(string path)
    {
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, path);
        return e.Message;
    }

    [TestMethod]
    public void DimsWhoseProductOverflowsAreRefused()
    {
        using var tmp = new TempDir();
        // 2^61 · 8 · 1 elements wrap to 0 in 64-bit arithmetic: unchecked, 384 bytes would "fit" a zero-element tensor.
        string wrap = LoadError(Mutated(tmp, p => p.Graph.Initializer.Add(Tensor("huge", ElementType.Float32, [1L << 61, 8, 1], 384))));
        StringAssert.Contains(wrap, "tensor 'huge'");
        StringAssert.Contains(wrap, "overflows");
        // long.MaxValue elements count fine, their float32 bytes do not.
        string bytes = LoadError(Mutated(tmp, p => p.Graph.Initializer.Add(Tensor("max", ElementType.Float32, [long.MaxValue], 4))));
        StringAssert.Contains(bytes, "tensor 'max'");
        StringAssert.Contains(bytes, "overflow a 64-bit byte length");
    }

    [TestMethod]
    public void NegativeDimIsRefused()
    {
        using var tmp = new TempDir();
        string m = LoadError(Mutated(tmp, p => p.Graph.Initializer.Add(Tensor("neg", ElementType.Float32, [-1, 2], 8))));
        StringAssert.Contains(m, "tensor 'neg': dimension -1 in [-1, 2] is negative");
    }

    [TestMethod]
    public void RawDataLengthMustBeElementsTimesElementSize()
    {
        using var tmp = new TempDir();
        string m = LoadError(Mutated(tmp, p => p.Graph.Initializer.Add(Tensor("short", ElementType.Float32, [2, 3], 20))));
        StringAssert.Contains(m, "tensor 'short': raw_data has 20 bytes, but 6 elements of float (dims [2, 3]) need 24");
        // An existing weight cut by one element.
        string cut = LoadError(Mutated(tmp, p => { var w = p.Graph.Initializer[0]; w.RawData = ByteString.CopyFrom(w.RawData.Span[..^4]); }));
        StringAssert.Contains(cut, "raw_data has");
    }

    [TestMethod]
    public void TypedValueCountMustMatchTheShape()
    {
        using var tmp = new TempDir();
        string m = LoadError(Mutated(tmp, p =>
        {
            var t = new TensorProto { Name = "few", DataType = (int)ElementType.Int64 };
            t.Dims.Add(3); t.Int64Data.Add(1); t.Int64Data.Add(2);
            p.Graph.Initializer.Add(t);
        }));
        StringAssert.Contains(m, "tensor 'few' holds 2 values, but 3 elements of int64 (dims [3]) need 3");
    }

    [TestMethod]
    public void UnknownDataTypeIsRefused()
    {
        using var tmp = new TempDir();
        string m = LoadError(Mutated(tmp, p => p.Graph.Initializer[0].DataType = 99));
        StringAssert.Contains(m, "data type 99 is not an ONNX tensor type");
    }

    [TestMethod]
    public void ExternalRangesOutsideTheDataFileAreRefused()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["w.bin"], new byte[16]);
        string Ext(long offset, long length) => LoadError(Mutated(tmp, p =>
        {
            var t = new TensorProto { Name = "ext", DataType = (int)ElementType.UInt8, DataLocation = TensorProto.Types.DataLocation.External };
            t.Dims.Add(length);
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
            t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
            t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
            p.Graph.Initializer.Add(t);
        }));
        StringAssert.Contains(Ext(12, 8), "'w.bin' has 16 bytes, but the tensor needs 8 bytes from offset 12");
        // offset + length wraps past long.MaxValue: compared without the sum.
        StringAssert.Contains(Ext(8, long.MaxValue - 4), "the tensor needs 9223372036854775803 bytes from offset 8");
        StringAssert.Contains(Ext(-1, 4), "offset -1 lies outside 'w.bin'");
    }

    [TestMethod]
    public void ExternalLengthMustMatchTheShape()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["w.bin"], new byte[64]);
        string m = LoadError(Mutated(tmp, p =>
        {
            var t = new TensorProto { Name = "ext", DataType = (int)ElementType.Float32, DataLocation = TensorProto.Types.DataLocation.External };
            t.Dims.Add(4);
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
            t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "12" });
            p.Graph.Initializer.Add(t);
        }));
        StringAssert.Contains(m, "tensor 'ext': external data length is 12 bytes, but its type and dims [4] need 16");
    }

    [TestMethod]
    public void CycleIsRefusedNamingTheNodes()
    {
        using var tmp = new TempDir();
        string m = LoadError(Mutated(tmp, p =>
        {
            // The first node now reads the last node's output: every node waits on another.
            var first = p.Graph.Node[0];
            first.Input[0] = p.Graph.Node[^1].Output[0];
        }));
        StringAssert.Contains(m, "has a cycle");
        StringAssert.Contains(m, Source().Graph.Node[0].OpType);
    }

    [TestMethod]
    public void DanglingInputIsRefusedNamingTheValue()
    {
        using var tmp = new TempDir();
        string m = LoadError(Mutated(tmp, p => p.Graph.Node[1].Input[0] = "nowhere"));
        StringAssert.Contains(m, "reads 'nowhere', which no graph input, initializer or node defines (a dangling input)");
    }

    [TestMethod]
    public void DuplicateOutputsAreRefused()
    {
        using var tmp = new TempDir();
        string twice = LoadError(Mutated(tmp, p => p.Graph.Node[1].Output[0] = p.Graph.Node[0].Output[0]));
        StringAssert.Contains(twice, "is defined twice");
        string listed = LoadError(Mutated(tmp, p => p.Graph.Output.Add(p.Graph.Output[0].Clone())));
        StringAssert.Contains(listed, $"output '{Source().Graph.Output[0].Name}' is listed twice");
    }

    [TestMethod]
    public void NodesOutOfOrderStillLoad()
    {
        // Not topologically sorted, but acyclic: some exporters write this; the importer sorts it.
        using var tmp = new TempDir();
        string path = Mutated(tmp, p => { var n = p.Graph.Node.ToList(); n.Reverse(); p.Graph.Node.Clear(); p.Graph.Node.AddRange(n); });
        Assert.AreEqual(Source().Graph.Node.Count, OnnxModel.Load(path).Graph.Nodes.Count);
    }
}
