using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Support;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>Saving with external data, loading it lazily, re-saving, and models over the 2 GB protobuf limit.</summary>
[TestClass]
public sealed class ModelIoExternalDataTests
{
    private static string Fixture(string name) => Path.Combine(DataDir, name);

    [TestMethod]
    public void ExternalDataSaveLoadsInOrtAndReloadsLazily()
    {
        using var tmp = new TempDir();
        var source = Fixture("torch_encoder.onnx");
        var sample = SamplesFor(source).First();
        var expected = OrtRun.RunFile(source, sample.Inputs);

        var model = OnnxModel.Load(source);
        var inlineBytes = model.Graph.Initializers.ToDictionary(i => i.Name, i => i.RawBytes());
        var firstPath = tmp["first/model.onnx"];
        model.Save(firstPath, new SaveOptions { UseExternalData = true });

        // The data file sits beside the model and holds every tensor of ≥ 1 KiB; the model file is small.
        var dataFile = new FileInfo(firstPath + ".data");
        Assert.IsTrue(dataFile.Exists, "no data file beside the model");
        long bigBytes = inlineBytes.Values.Where(b => b.Length >= 1024).Sum(b => (long)b.Length);
        Assert.IsTrue(bigBytes >= 8192, $"the fixture should have large tensors ({bigBytes} bytes)");
        Assert.IsTrue(dataFile.Length >= bigBytes, $"data file {dataFile.Length} bytes < {bigBytes} bytes of large tensors");
        Assert.IsTrue(new FileInfo(firstPath).Length < new FileInfo(source).Length - bigBytes + 4096, "the large tensors are still inline");
        CollectionAssert.AreEquivalent(new[] { "model.onnx", "model.onnx.data" }, Directory.GetFiles(Path.GetDirectoryName(firstPath)!).Select(Path.GetFileName).ToArray());

        // ORT loads it by path and computes the same.
        AssertSameOutputs(expected, OrtRun.RunFile(firstPath, sample.Inputs), "external-data save");

        // Loaded back lazily: large tensors are slices of the data file, 4 KiB aligned, with the same bytes.
        var reloaded = OnnxModel.Load(firstPath);
        int lazy = 0;
        foreach (var init in reloaded.Graph.Initializers)
        {
            CollectionAssert.AreEqual(inlineBytes[init.Name], init.RawBytes(), $"bytes of '{init.Name}'");
            if (inlineBytes[init.Name].Length >= 1024)
            {
                var slice = init.DataSource as FileSliceSource;
                Assert.IsNotNull(slice, $"'{init.Name}' should be read lazily from the data file");
                Assert.AreEqual(dataFile.FullName, slice.Path);
                Assert.AreEqual(0, slice.Offset % 4096, $"'{init.Name}' offset {slice.Offset} is not 4 KiB aligned");
                lazy++;
            }
            else Assert.IsNull(init.DataSource, $"small tensor '{init.Name}' should be inline");
        }
        Assert.IsTrue(lazy >= 4, $"only {lazy} tensors were external");

        // Re-saved to another folder, external again and inline: both load in ORT with the same outputs.
        var secondPath = tmp["second/model.onnx"];
        reloaded.Save(secondPath, new SaveOptions { UseExternalData = true });
        AssertSameOutputs(expected, OrtRun.RunFile(secondPath, sample.Inputs), "re-saved external data");
        CollectionAssert.AreEqual(File.ReadAllBytes(dataFile.FullName), File.ReadAllBytes(secondPath + ".data"), "the data file is rewritten identically");
        CollectionAssert.AreEqual(File.ReadAllBytes(firstPath), File.ReadAllBytes(secondPath), "the model file is rewritten identically");
        var inlinePath = tmp["third/model.onnx"];
        reloaded.Save(inlinePath);
        Assert.IsFalse(File.Exists(inlinePath + ".data"));
        // Inline again: the same bytes as the PyTorch file, except that raw_data tensors come back as raw_data.
        CollectionAssert.AreEqual(File.ReadAllBytes(source), File.ReadAllBytes(inlinePath), "external → inline gives back the original file");
    }

    [TestMethod]
    public void SavingOverItsOwnDataFileRepointsTheLazyTensors()
    {
        using var tmp = new TempDir();
        var source = Fixture("torch_mlp.onnx");
        var sample = SamplesFor(source).First();
        var expected = OrtRun.RunFile(source, sample.Inputs);
        var original = OnnxModel.Load(source).Graph.Initializers.ToDictionary(i => i.Name, i => i.RawBytes());
        var path = tmp["model.onnx"];
        OnnxModel.Load(source).Save(path, new SaveOptions { UseExternalData = true });

        var model = OnnxModel.Load(path);
        var fc1 = model.Graph.FindInitializer("fc1.weight")!;
        var before = (FileSliceSource)fc1.DataSource!;
        // Reorder so every tensor lands at another offset, then save over the same files.
        model.Graph.Initializers.Reverse();
        model.Save(path, new SaveOptions { UseExternalData = true });
        var after = (FileSliceSource)fc1.DataSource!;
        Assert.AreNotEqual(before.Offset, after.Offset, "the tensor moved within the data file");
        foreach (var init in model.Graph.Initializers)
            CollectionAssert.AreEqual(original[init.Name], init.RawBytes(), $"'{init.Name}' reads its own bytes after the overwrite");
        AssertSameOutputs(expected, OrtRun.RunFile(path, sample.Inputs), "saved over itself");

        // Saved over itself with a threshold that puts everything inline: the tensors become inline in memory too.
        model.Save(path, new SaveOptions { UseExternalData = true, ExternalThresholdBytes = long.MaxValue });
        foreach (var init in model.Graph.Initializers)
        {
            Assert.IsNull(init.DataSource, $"'{init.Name}' was written inline, so it must no longer read the rewritten data file");
            CollectionAssert.AreEqual(original[init.Name], init.RawBytes(), $"'{init.Name}' after going inline");
        }
        Assert.AreEqual(0, new FileInfo(path + ".data").Length);
        AssertSameOutputs(expected, OrtRun.RunFile(path, sample.Inputs), "saved inline over itself");
    }

    [TestMethod, TestCategory("Large")]
    public void ModelOverTwoGigabytesGoesExternalAutomaticallyAndRuns()
    {
        const long rows = 600_000_000;
        var tmp = new TempDir();
        try
        {
            var g = new GraphBuilder("embedding");
            var ids = g.Input("ids", ElementType.Int64, 3);
            var meta = new TensorProto { Name = "embedding.weight", DataType = (int)ElementType.Float32 };
            meta.Dims.AddRange([rows, 1]);
            var table = g.Initializer(new Initializer(meta, new FillSource(BitConverter.GetBytes(0f), rows)));
            g.Output(Op.Gather(table, ids), "vectors");
            var model = g.Build();
            Assert.ThrowsExactly<OnnxModelException>(() => model.ToBytes(), "over 2 GB cannot be one protobuf message");

            var path = tmp["big.onnx"];
            model.Save(path); // no options: must go external because of the size
            Assert.IsTrue(new FileInfo(path).Length < 1 << 16, $"model file is {new FileInfo(path).Length} bytes");
            Assert.AreEqual(rows * 4, new FileInfo(path + ".data").Length);

            var loaded = OnnxModel.Load(path);
            var w = loaded.Graph.FindInitializer("embedding.weight")!;
            CollectionAssert.AreEqual(new[] { rows, 1L }, w.Dims);
            Assert.AreEqual(rows * 4, w.DataSource!.Length);

            var outs = OrtRun.RunFile(path, HostTensor.I64("ids", [0, 123_456_789, rows - 1], 3));
            CollectionAssert.AreEqual(new long[] { 3, 1 }, outs["vectors"].Shape);
            CollectionAssert.AreEqual(new float[] { 0, 0, 0 }, outs["vectors"].Floats);
        }
        finally { tmp.Dispose(); }
    }
}
