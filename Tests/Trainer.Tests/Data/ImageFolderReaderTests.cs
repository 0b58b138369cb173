using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class ImageFolderReaderTests
{
    /// <summary>A w×h PNG whose pixel (x, y) is (base + x, base + 10 y, 200).</summary>
    private static void Png(string path, int w, int h, byte @base)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = new Rgb24((byte)(@base + x), (byte)(@base + 10 * y), 200);
        img.SaveAsPng(path);
    }

    [TestMethod]
    public void ClassFoldersBecomeLabelsAndPixelsChannelFirst()
    {
        using var dir = new TempDir();
        Png(dir["dog/b.png"], 3, 2, 50);
        Png(dir["cat/a.png"], 3, 2, 0);
        Png(dir["dog/a.png"], 3, 2, 100);
        File.WriteAllText(dir["dog/notes.txt"], "not an image");
        var d = Datasets.FromImageFolder(dir.Path, new ImageFolderOptions { Scale = false });
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, d.ClassNames.ToArray());
        CollectionAssert.AreEqual(new long[] { 0, 1, 1 }, d.Labels);
        CollectionAssert.AreEqual(new[] { 3, 2, 3 }, d.SampleShape);
        // sample 1 = dog/a.png (base 100): R plane, G plane, B plane, each [2, 3]
        CollectionAssert.AreEqual(new float[] { 100, 101, 102, 100, 101, 102, 100, 100, 100, 110, 110, 110, 200, 200, 200, 200, 200, 200 }, d.Sample(1).ToArray());
    }

    [TestMethod]
    public void GrayscaleAndScaling()
    {
        using var dir = new TempDir();
        Png(dir["only/x.png"], 2, 1, 0);
        var d = Datasets.FromImageFolder(dir.Path, new ImageFolderOptions { Grayscale = true });
        CollectionAssert.AreEqual(new[] { 1, 1, 2 }, d.SampleShape);
        // BT.601 luma of (0, 0, 200) and (1, 0, 200), scaled by 1/255
        Assert.AreEqual(0.114 * 200 / 255, d.Sample(0)[0], 1e-5);
        Assert.AreEqual((0.299 * 1 + 0.114 * 200) / 255, d.Sample(0)[1], 1e-5);
    }

    [TestMethod]
    public void WrongSizeWithoutResizeNamesFileAndSizes()
    {
        using var dir = new TempDir();
        Png(dir["a/1.png"], 4, 4, 0);
        Png(dir["b/odd.png"], 5, 3, 0);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Datasets.FromImageFolder(dir.Path));
        StringAssert.Contains(e.Message, "odd.png");
        StringAssert.Contains(e.Message, "5×3, expected 4×4");
        StringAssert.Contains(e.Message, "Resize");
    }

    [TestMethod]
    public void ResizeBringsEveryImageToTheRequestedSize()
    {
        using var dir = new TempDir();
        Png(dir["a/1.png"], 4, 4, 0);
        Png(dir["b/odd.png"], 5, 3, 0);
        var d = Datasets.FromImageFolder(dir.Path, new ImageFolderOptions { Width = 8, Height = 6, Resize = true });
        CollectionAssert.AreEqual(new[] { 3, 6, 8 }, d.SampleShape);
        Assert.AreEqual(2, d.Count);
        // the blue channel is 200 everywhere, and stays so through any interpolation
        Assert.IsTrue(d.Sample(1)[(2 * 48)..].ToArray().All(v => Math.Abs(v - 200f / 255f) < 1e-5), "blue plane");
    }

    [TestMethod]
    public void JpegIsDecoded()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["k"]);
        using (var img = new Image<Rgb24>(8, 8, new Rgb24(200, 100, 50))) img.SaveAsJpeg(dir["k/solid.jpg"]);
        var d = Datasets.FromImageFolder(dir.Path, new ImageFolderOptions { Scale = false });
        // lossy, but a flat colour survives JPEG within a few levels
        Assert.AreEqual(200f, d.Sample(0)[0], 4f);
        Assert.AreEqual(100f, d.Sample(0)[64], 4f);
        Assert.AreEqual(50f, d.Sample(0)[128], 4f);
    }

    [TestMethod]
    public void UndecodableImageNamesFile()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["a"]);
        File.WriteAllText(dir["a/broken.png"], "this is not a PNG");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Datasets.FromImageFolder(dir.Path));
        StringAssert.Contains(e.Message, "broken.png");
    }

    [TestMethod]
    public void FolderWithoutClassFoldersIsReported()
    {
        using var dir = new TempDir();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Datasets.FromImageFolder(dir.Path));
        StringAssert.Contains(e.Message, "one sub-folder per class");
    }
}
