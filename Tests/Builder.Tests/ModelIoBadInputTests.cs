using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Schema;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>Damaged and hostile files fail with messages that name the file or tensor, and never read outside the model's folder.</summary>
[TestClass]
public sealed class ModelIoBadInputTests
{
    [TestMethod]
    public void TruncatedFileNamesTheFile()
    {
        using var tmp = new TempDir();
        var bytes = File.ReadAllBytes(Path.Combine(DataDir, "torch_cnn.onnx"));
        var path = tmp["cut.onnx"];
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "truncated");
        var b = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromBytes(bytes[..(bytes.Length / 2)], "upload.onnx"));
        StringAssert.Contains(b.Message, "upload.onnx");
    }

    [TestMethod]
    public void EmptyOrMissingFileFailsClearly()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["empty.onnx"], []);
        StringAssert.Contains(Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(tmp["empty.onnx"])).Message, "empty.onnx");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => OnnxModel.Load(tmp["nope.onnx"]));
        StringAssert.Contains(e.Message, "nope.onnx");
    }

    /// <summary>A model whose tensor 'secret' claims its data lives at <paramref name="location"/>.</summary>
    private static string WriteModelWithExternalLocation(TempDir tmp, string location, string subfolder = "model")
    {
        var m = OnnxModel.Load(Path.Combine(DataDir, "torch_mlp.onnx")).ToProto();
        var t = new TensorProto { Name = "secret", DataType = (int)ElementType.UInt8, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(4);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "4" });
        m.Graph.Initializer.Add(t);
        var path = Path.Combine(tmp.Path, subfolder, "m.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, m.ToByteArray());
        return path;
    }

    [TestMethod]
    [DataRow("../outside.bin")]
    [DataRow("../../etc/passwd")]
    [DataRow("sub/../../outside.bin")]
    [DataRow("/etc/passwd")]
    public void ExternalLocationOutsideTheFolderIsRefused(string location)
    {
        using var tmp = new TempDir();
        // A readable file where a traversal would land, so refusing is the only way to fail.
        File.WriteAllBytes(tmp["outside.bin"], [1, 2, 3, 4]);
        var path = WriteModelWithExternalLocation(tmp, location);
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, "'secret'");
        StringAssert.Contains(e.Message, location);
        Assert.IsTrue(e.Message.Contains("outside the model's folder") || e.Message.Contains("must be a relative path"), e.Message);
    }

    [TestMethod]
    public void ExternalLocationThroughASymbolicLinkIsRefused()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["outside.bin"], [1, 2, 3, 4]);
        Directory.CreateDirectory(tmp["elsewhere"]);
        File.WriteAllBytes(tmp["elsewhere/w.bin"], [5, 6, 7, 8]);
        var fileLink = WriteModelWithExternalLocation(tmp, "data.bin", "a");
        File.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(fileLink)!, "data.bin"), tmp["outside.bin"]);
        var dirLink = WriteModelWithExternalLocation(tmp, "sub/w.bin", "b");
        Directory.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(dirLink)!, "sub"), tmp["elsewhere"]);
        foreach (var (path, link) in new[] { (fileLink, "data.bin"), (dirLink, "sub") })
        {
            var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(path));
            StringAssert.Contains(e.Message, "'secret'");
            StringAssert.Contains(e.Message, "symbolic link");
            StringAssert.Contains(e.Message, Path.Combine(Path.GetDirectoryName(path)!, link));
        }
    }

    [TestMethod]
    public void ExternalLocationInsideTheFolderIsRead()
    {
        // The positive control of the test above: the same model with a file inside the folder loads.
        using var tmp = new TempDir();
        var path = WriteModelWithExternalLocation(tmp, "sub/../inside.bin");
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(path)!, "inside.bin"), [9, 8, 7, 6]);
        CollectionAssert.AreEqual(new byte[] { 9, 8, 7, 6 }, OnnxModel.Load(path).Graph.FindInitializer("secret")!.RawBytes());
    }

    [TestMethod]
    public void ExternalDataInsideASubgraphIsRefusedNamingNodeAndTensor()
    {
        using var tmp = new TempDir();
        var m = OnnxModel.Load(Path.Combine(DataDir, "hand_if.onnx")).ToProto();
        var elseBranch = m.Graph.Node.Single(n => n.OpType == "If").Attribute.Single(a => a.Name == "else_branch").G;
        var t = new TensorProto { Name = "hidden", DataType = (int)ElementType.Float32, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(3);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        elseBranch.Initializer.Add(t);
        File.WriteAllBytes(tmp["m.onnx"], m.ToByteArray());
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(tmp["m.onnx"]));
        StringAssert.Contains(e.Message, "'hidden'");
        StringAssert.Contains(e.Message, "If node 'branch'");
        StringAssert.Contains(e.Message, "'else_branch'");
        Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromBytes(m.ToByteArray()));
    }

    [TestMethod]
    public void MissingOrShortDataFileIsAClearError()
    {
        using var tmp = new TempDir();
        var path = WriteModelWithExternalLocation(tmp, "weights.bin");
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, "'secret'");
        StringAssert.Contains(e.Message, "weights.bin");
        StringAssert.Contains(e.Message, "missing");

        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(path)!, "weights.bin"), [1, 2]);
        var s = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(path));
        StringAssert.Contains(s.Message, "'secret'");
        StringAssert.Contains(s.Message, "has 2 bytes");
    }

    [TestMethod]
    public void ExternalDataInBytesWithoutAFolderIsRefused()
    {
        using var tmp = new TempDir();
        var path = WriteModelWithExternalLocation(tmp, "weights.bin");
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromBytes(File.ReadAllBytes(path)));
        StringAssert.Contains(e.Message, "'secret'");
        StringAssert.Contains(e.Message, "OnnxModel.Load");
    }

    [TestMethod]
    public void SaveRefusesADataFileNameOutsideTheFolder()
    {
        using var tmp = new TempDir();
        var model = OnnxModel.Load(Path.Combine(DataDir, "torch_mlp.onnx"));
        var e = Assert.ThrowsExactly<OnnxModelException>(() => model.Save(tmp["a/m.onnx"], new SaveOptions { UseExternalData = true, ExternalFileName = "../escape.data" }));
        StringAssert.Contains(e.Message, "../escape.data");
        Assert.IsFalse(File.Exists(tmp["escape.data"]));
        var same = Assert.ThrowsExactly<OnnxModelException>(() => model.Save(tmp["a/m.onnx"], new SaveOptions { UseExternalData = true, ExternalFileName = "m.onnx" }));
        StringAssert.Contains(same.Message, "the model file itself");
    }
}
