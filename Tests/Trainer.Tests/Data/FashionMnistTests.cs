using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

/// <summary>The Fashion-MNIST files shipped in data/fashion-mnist, read through the catalogue and the repository-data lookup.</summary>
[TestClass]
public sealed class FashionMnistTests
{
    // Reference numbers computed independently with numpy + gzip from the shipped files when this test was written.
    private static readonly long[] FirstTrainLabels = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5];
    private static readonly long[] FirstTestLabels = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7];

    private static DatasetSplits? _raw;

    private static DatasetSplits Raw => _raw ??= Datasets.Load(DatasetCatalogue.FashionMnist,
        new DataSources { ExplicitPath = null, EnvironmentRoot = null, AllowDownload = false, CacheRoot = Path.Combine(Path.GetTempPath(), "onnxkit-no-cache") }, scale: false);

    [ClassCleanup]
    public static void ReleaseData() => _raw = null; // 220 MB of floats

    [TestMethod]
    public void RepositoryDataFolderIsFoundAboveTheTestBinaries()
    {
        string? data = DataSources.FindRepositoryData(AppContext.BaseDirectory);
        Assert.IsNotNull(data);
        Assert.IsTrue(File.Exists(Path.Combine(data, "fashion-mnist", "train-images-idx3-ubyte.gz")), data);
    }

    [TestMethod]
    public void ShapesCountsAndClassNames()
    {
        var d = Raw;
        Assert.AreEqual(60000, d.Train.Count);
        Assert.AreEqual(10000, d.Test.Count);
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, d.Train.SampleShape);
        Assert.AreEqual(10, d.Train.NumClasses);
        Assert.AreEqual("Ankle boot", d.Train.ClassNames[(int)d.Train.Labels![0]]);
        Assert.AreEqual("T-shirt/top", d.Test.ClassNames[0]);
    }

    [TestMethod]
    public void FirstLabelsMatchReference()
    {
        CollectionAssert.AreEqual(FirstTrainLabels, Raw.Train.Labels![..10]);
        CollectionAssert.AreEqual(FirstTestLabels, Raw.Test.Labels![..10]);
        Assert.AreEqual(270000L, Raw.Train.Labels!.Sum()); // 6000 of each class: 6000 × (0+…+9)
        Assert.AreEqual(45000L, Raw.Test.Labels!.Sum());
    }

    [TestMethod]
    public void PixelSumsMatchReference()
    {
        Assert.AreEqual(76247.0, Sum(Raw.Train.Sample(0)));
        Assert.AreEqual(16684.0, Sum(Raw.Train.Sample(59999)));
        Assert.AreEqual(33456.0, Sum(Raw.Test.Sample(0)));
        Assert.AreEqual(24390.0, Sum(Raw.Test.Sample(9999)));
        Assert.AreEqual(217f, Raw.Train.Sample(0)[14 * 28 + 14]);
        Assert.AreEqual(110f, Raw.Test.Sample(0)[14 * 28 + 14]);
        Assert.AreEqual(3431114169.0, Sum(Raw.Train.Features));
        Assert.AreEqual(573469082.0, Sum(Raw.Test.Features));
    }

    [TestMethod]
    public void KerasStyleEntryPointScalesToUnitRange()
    {
        var d = Datasets.FashionMnist(download: false);
        Assert.AreEqual(217f / 255f, d.Train.Sample(0)[14 * 28 + 14], 1e-7f);
        Assert.AreEqual(76247.0 / 255.0, Sum(d.Train.Sample(0)), 1e-3);
        Assert.AreEqual(1f, d.Train.Features.Max());
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double s = 0;
        foreach (var v in values) s += v;
        return s;
    }
}
