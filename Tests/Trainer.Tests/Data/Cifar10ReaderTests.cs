using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class Cifar10ReaderTests
{
    [TestMethod]
    public void RecordsBecomeChannelFirstSamples()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["b.bin"], DataFixtures.CifarRecords(3, 9));
        var d = Cifar10Reader.ReadBatches([dir["b.bin"]], scale: false);
        Assert.AreEqual(2, d.Count);
        CollectionAssert.AreEqual(new[] { 3, 32, 32 }, d.SampleShape);
        CollectionAssert.AreEqual(new long[] { 3, 9 }, d.Labels);
        Assert.AreEqual("cat", d.ClassNames[3]);
        // sample 1, channel 2 (blue), y 5, x 7 → (1 + 2 + 5 + 7) = 15
        Assert.AreEqual(15f, d.Sample(1)[2 * 1024 + 5 * 32 + 7]);
        Assert.AreEqual(0f, d.Sample(0)[0]);
        var scaled = Cifar10Reader.ReadBatches([dir["b.bin"]]);
        Assert.AreEqual(15f / 255f, scaled.Sample(1)[2 * 1024 + 5 * 32 + 7], 1e-7f);
    }

    [TestMethod]
    public void CatalogueFindsBatchesInArchiveSubfolder()
    {
        using var dir = new TempDir();
        string bin = Directory.CreateDirectory(dir["cifar-10/cifar-10-batches-bin"]).FullName;
        for (int i = 1; i <= 5; i++) File.WriteAllBytes(Path.Combine(bin, $"data_batch_{i}.bin"), DataFixtures.CifarRecords((byte)i, 0));
        File.WriteAllBytes(Path.Combine(bin, "test_batch.bin"), DataFixtures.CifarRecords(7));
        var d = Datasets.Cifar10(dir.Path, download: false);
        Assert.AreEqual(10, d.Train.Count);
        Assert.AreEqual(1, d.Test.Count);
        CollectionAssert.AreEqual(new long[] { 1, 0, 2, 0, 3, 0, 4, 0, 5, 0 }, d.Train.Labels);
        CollectionAssert.AreEqual(new long[] { 7 }, d.Test.Labels);
    }

    [TestMethod]
    public void PartialRecordIsReported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["b.bin"], DataFixtures.CifarRecords(1, 2)[..5000]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Cifar10Reader.ReadBatches([dir["b.bin"]]));
        StringAssert.Contains(e.Message, "b.bin");
        StringAssert.Contains(e.Message, "multiple of 3073");
        StringAssert.Contains(e.Message, "found 5000");
    }

    [TestMethod]
    public void LabelOutsideRangeNamesFileAndRecord()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["b.bin"], DataFixtures.CifarRecords(1, 12));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Cifar10Reader.ReadBatches([dir["b.bin"]]));
        StringAssert.Contains(e.Message, "b.bin");
        StringAssert.Contains(e.Message, "label 12 of record 1");
        StringAssert.Contains(e.Message, "[0, 10)");
    }
}
