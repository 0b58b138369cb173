using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class IdxReaderTests
{
    private static readonly byte[] Pixels = [0, 51, 102, 255, 1, 2, 3, 4, 10, 20, 30, 40];

    [TestMethod]
    public void PlainAndGzippedFilesReadTheSame()
    {
        using var dir = new TempDir();
        var idx = DataFixtures.Idx([3, 2, 2], Pixels);
        File.WriteAllBytes(dir["plain"], idx);
        File.WriteAllBytes(dir["packed.gz"], DataFixtures.Gzip(idx));
        var (plain, n, rows, cols) = IdxReader.ReadImages(dir["plain"]);
        var (packed, _, _, _) = IdxReader.ReadImages(dir["packed.gz"]);
        Assert.AreEqual((3, 2, 2), (n, rows, cols));
        CollectionAssert.AreEqual(Pixels.Select(b => (float)b).ToArray(), plain);
        CollectionAssert.AreEqual(plain, packed);
    }

    [TestMethod]
    public void DatasetScalesPixelsAndKeepsLabels()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["img"], DataFixtures.Idx([3, 2, 2], Pixels));
        File.WriteAllBytes(dir["lbl"], DataFixtures.Idx([3], [2, 0, 1]));
        var d = Datasets.FromIdx(dir["img"], dir["lbl"], ["a", "b", "c"]);
        CollectionAssert.AreEqual(new[] { 1, 2, 2 }, d.SampleShape);
        CollectionAssert.AreEqual(new long[] { 2, 0, 1 }, d.Labels);
        CollectionAssert.AreEqual(new[] { 0f, 0.2f, 0.4f, 1f }, d.Sample(0).ToArray());
    }

    [TestMethod]
    public void VectorisedPixelConversionEqualsScalarDivision()
    {
        // every byte value, at every alignment, with a tail shorter than a vector
        byte[] src = Enumerable.Range(0, 1000).Select(i => (byte)(i * 37 + 11)).ToArray();
        foreach (bool scale in new[] { true, false })
        {
            var dst = new float[src.Length];
            Training.Data.PixelTable.Convert(src, dst, scale);
            for (int i = 0; i < src.Length; i++)
                Assert.AreEqual(scale ? src[i] / 255f : src[i], dst[i], $"byte {src[i]} at {i}");
        }
        Assert.AreEqual(0.2f, Read51());
        static float Read51() { var d = new float[1]; Training.Data.PixelTable.Convert([51], d, true); return d[0]; }
    }

    [TestMethod]
    public void BadMagicNamesFile()
    {
        using var dir = new TempDir();
        var bytes = DataFixtures.Idx([3, 2, 2], Pixels);
        bytes[0] = 0x50; bytes[1] = 0x4B;
        File.WriteAllBytes(dir["zip.idx"], bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.Read(dir["zip.idx"]));
        StringAssert.Contains(e.Message, "zip.idx");
        StringAssert.Contains(e.Message, "magic");
        StringAssert.Contains(e.Message, "50 4B");
    }

    [TestMethod]
    public void UnsupportedElementTypeIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["f.idx"], DataFixtures.Idx([3], new byte[12], type: 0x0D));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.Read(dir["f.idx"]));
        StringAssert.Contains(e.Message, "0x08");
        StringAssert.Contains(e.Message, "0x0D");
    }

    [TestMethod]
    public void TruncatedFileReportsExpectedAndFoundLength()
    {
        using var dir = new TempDir();
        var bytes = DataFixtures.Idx([3, 2, 2], Pixels);
        File.WriteAllBytes(dir["cut.idx"], bytes[..^5]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(dir["cut.idx"]));
        StringAssert.Contains(e.Message, "cut.idx");
        StringAssert.Contains(e.Message, "[3, 2, 2]");
        StringAssert.Contains(e.Message, "expected 28 bytes");
        StringAssert.Contains(e.Message, "found 23");
    }

    [TestMethod]
    public void TruncatedHeaderIsReported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["h.idx"], DataFixtures.Idx([3, 2, 2], [])[..10]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.Read(dir["h.idx"]));
        StringAssert.Contains(e.Message, "16-byte header");
        StringAssert.Contains(e.Message, "found 10");
    }

    [TestMethod]
    public void TruncatedGzipNamesFile()
    {
        using var dir = new TempDir();
        var gz = DataFixtures.Gzip(DataFixtures.Idx([300, 2, 2], Enumerable.Range(0, 1200).Select(i => (byte)(i * 7)).ToArray()));
        File.WriteAllBytes(dir["cut.gz"], gz[..(gz.Length / 2)]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(dir["cut.gz"]));
        StringAssert.Contains(e.Message, "cut.gz");
    }

    [TestMethod]
    public void WrongRankIsReported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["labels"], DataFixtures.Idx([4], [1, 2, 3, 4]));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(dir["labels"]));
        StringAssert.Contains(e.Message, "expected 3 dimensions");
        StringAssert.Contains(e.Message, "found 1");
    }

    [TestMethod]
    public void LabelOutsideClassRangeNamesFileIndexAndRange()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["img"], DataFixtures.Idx([3, 2, 2], Pixels));
        File.WriteAllBytes(dir["bad-labels"], DataFixtures.Idx([3], [1, 12, 0]));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Datasets.FromIdx(dir["img"], dir["bad-labels"], DatasetCatalogue.MnistClasses));
        StringAssert.Contains(e.Message, "bad-labels");
        StringAssert.Contains(e.Message, "label 12 at index 1");
        StringAssert.Contains(e.Message, "[0, 10)");
    }

    [TestMethod]
    public void ImageAndLabelCountsMustAgree()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["img"], DataFixtures.Idx([3, 2, 2], Pixels));
        File.WriteAllBytes(dir["lbl"], DataFixtures.Idx([2], [1, 0]));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Datasets.FromIdx(dir["img"], dir["lbl"]));
        StringAssert.Contains(e.Message, "expected as many labels as images (3), found 2");
    }

    [TestMethod]
    public void MissingFileIsNamed()
    {
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => IdxReader.Read("/nonexistent/none-idx3-ubyte"));
        StringAssert.Contains(e.Message, "none-idx3-ubyte");
    }
}
