using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IO;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>
/// The one write-then-rename helper every saved file goes through: a writer that fails leaves the previous file
/// byte-identical and no temporary behind; a temporary left by a killed process is cleared by the next write.
/// </summary>
[TestClass]
public sealed class AtomicFileTests
{
    private static string[] FilesIn(TempDir dir) => Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)!).Order().ToArray();

    [TestMethod]
    public void AStreamWriterThatFailsHalfwayLeavesThePreviousFileAndNoTemporary()
    {
        using var dir = new TempDir();
        string path = dir["state.bin"];
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);

        var e = Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[4096]);
            throw new IOException("disk full (test)");
        }));

        StringAssert.Contains(e.Message, "disk full");
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "state.bin" }, FilesIn(dir));
    }

    [TestMethod]
    public void APathWriterThatFailsAfterCreatingItsFileLeavesThePreviousFileAndNoTemporary()
    {
        using var dir = new TempDir();
        string path = dir["curve.png"];
        AtomicFile.WriteAllText(path, "old picture");
        string? seen = null;

        Assert.ThrowsExactly<InvalidOperationException>(() => AtomicFile.WriteVia(path, tmp =>
        {
            seen = tmp;
            File.WriteAllText(tmp, "half a new pic");
            throw new InvalidOperationException("encoder failed (test)");
        }));

        Assert.AreEqual(dir.Path, Path.GetDirectoryName(seen), "the temporary sits beside the target (same file system, atomic rename)");
        Assert.AreEqual(".png", Path.GetExtension(seen), "the temporary keeps the target's extension for writers that pick a format by it");
        Assert.AreEqual("old picture", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { "curve.png" }, FilesIn(dir));
    }

    [TestMethod]
    public void ASuccessfulWriteReplacesTheFileWithExactlyTheNewBytes()
    {
        using var dir = new TempDir();
        string path = dir["sub/manifest.json"];
        AtomicFile.WriteAllText(path, "{\"a\": 1, \"longer\": \"than the next one\"}");
        AtomicFile.WriteAllText(path, "{\"é\": 2}");
        CollectionAssert.AreEqual(Encoding.UTF8.GetBytes("{\"é\": 2}"), File.ReadAllBytes(path), "UTF-8 without a byte-order mark, old tail gone");
        CollectionAssert.AreEqual(new[] { "manifest.json" }, Directory.GetFiles(dir["sub"]).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void APendingFileDisposedWithoutCommitLeavesTheTargetUntouched()
    {
        using var dir = new TempDir();
        string model = dir["model.onnx"], data = dir["model.onnx.data"];
        AtomicFile.WriteAllText(model, "old model");
        AtomicFile.WriteAllText(data, "old data");
        using (var dataFile = AtomicFile.Begin(data))
        using (var modelFile = AtomicFile.Begin(model))
        {
            using (var s = dataFile.OpenWrite()) s.Write("new data"u8);
            using (var s = modelFile.OpenWrite()) s.Write("new model"u8);
            dataFile.Commit();
            // The model's write is abandoned (an exception in a real save): only the data was replaced.
        }
        Assert.AreEqual("old model", File.ReadAllText(model));
        Assert.AreEqual("new data", File.ReadAllText(data));
        CollectionAssert.AreEqual(new[] { "model.onnx", "model.onnx.data" }, FilesIn(dir));
    }

    [TestMethod]
    public void CommittingAWriteThatWroteNothingNamesTheTarget()
    {
        using var dir = new TempDir();
        using var file = AtomicFile.Begin(dir["empty.bin"]);
        var e = Assert.ThrowsExactly<FileNotFoundException>(file.Commit);
        StringAssert.Contains(e.Message, "empty.bin");
        Assert.IsFalse(File.Exists(dir["empty.bin"]));
    }

    [TestMethod]
    public void TheNextWriteRemovesATemporaryLeftByAKilledProcessButNotOneBeingWritten()
    {
        using var dir = new TempDir();
        string path = dir["last.safetensors"];
        string dead = path + ".tmp999999999-0123abcd";          // no such process
        string oldStyle = path + ".tmp999999998";
        string live = path + $".tmp{Environment.ProcessId}-feed";  // this process: may be mid-write
        foreach (var f in new[] { dead, oldStyle, live }) File.WriteAllText(f, "partial");

        AtomicFile.WriteAllText(path, "new");

        Assert.IsFalse(File.Exists(dead));
        Assert.IsFalse(File.Exists(oldStyle));
        Assert.IsTrue(File.Exists(live));
        Assert.AreEqual("new", File.ReadAllText(path));
    }
}
