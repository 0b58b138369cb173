using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Schema;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>A save that fails leaves what was saved before untouched and no temporary files.</summary>
[TestClass]
public sealed class ModelIoAtomicSaveTests
{
    /// <summary>Writes some bytes, then fails: a save interrupted halfway through the data.</summary>
    private sealed class FailingSource(long length) : TensorDataSource
    {
        public override long Length => length;
        public override void CopyTo(Stream destination)
        {
            destination.Write(new byte[length / 2]);
            throw new IOException("disk unplugged (test)");
        }
    }

    private static OnnxModel WithFailingTensor(string path)
    {
        var model = OnnxModel.Load(path);
        var meta = new TensorProto { Name = "broken", DataType = (int)ElementType.Float32 };
        meta.Dims.Add(4096);
        model.Graph.Initializers.Add(new Initializer(meta, new FailingSource(4096 * 4)));
        return model;
    }

    [TestMethod]
    [DataRow(false, DisplayName = "inline")]
    [DataRow(true, DisplayName = "external data")]
    public void FailedSaveLeavesThePreviousFilesByteIdentical(bool external)
    {
        using var tmp = new TempDir();
        var path = tmp["model.onnx"];
        var options = new SaveOptions { UseExternalData = external };
        OnnxModel.Load(Path.Combine(DataDir, "torch_cnn.onnx")).Save(path, options);
        var before = Directory.GetFiles(tmp.Path).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.AreEqual(external ? 2 : 1, before.Count);

        var e = Assert.ThrowsExactly<IOException>(() => WithFailingTensor(path).Save(path, options));
        StringAssert.Contains(e.Message, "disk unplugged");

        var after = Directory.GetFiles(tmp.Path).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        CollectionAssert.AreEquivalent(before.Keys.ToList(), after.Keys.ToList(), "files in the folder (no temporaries left)");
        foreach (var (name, bytes) in before) CollectionAssert.AreEqual(bytes, after[name], $"{name} changed by a failed save");
        // And the previous model still loads and reads.
        Assert.AreEqual(OnnxModel.Load(Path.Combine(DataDir, "torch_cnn.onnx")).Graph.Initializers.Count, OnnxModel.Load(path).Graph.Initializers.Count);
    }

    [TestMethod]
    public void FailedSaveToANewPathCreatesNothing()
    {
        using var tmp = new TempDir();
        var path = tmp["new.onnx"];
        Assert.ThrowsExactly<IOException>(() => WithFailingTensor(Path.Combine(DataDir, "torch_mlp.onnx")).Save(path, new SaveOptions { UseExternalData = true }));
        CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFiles(tmp.Path));
    }
}
