using OnnxKit.Training.Data;

namespace OnnxKit;

/// <summary>
/// The entry point to data, Keras-style: <c>var data = Datasets.FashionMnist(); model.Fit(data.Train, …, validation: data.Test)</c>.
/// Catalogue datasets are looked up in an explicit path, <c>$ONNXKIT_DATA</c>, the repository's <c>data/</c>,
/// the cache <c>~/.cache/onnxkit</c>, then downloaded with SHA-256 verification (see <see cref="DataSources"/>).
/// Images come as channel-first samples ([1, 28, 28], [3, 32, 32]) scaled to [0, 1] unless <c>scale: false</c>.
/// </summary>
public static class Datasets
{
    /// <summary>Fashion-MNIST: 60,000 training and 10,000 test images of 10 clothing classes.</summary>
    /// <param name="path">A folder holding the files (or a data root holding <c>fashion-mnist/</c>); null to search.</param>
    /// <param name="download">Whether to download into the cache when not found.</param>
    /// <param name="scale">Scale pixels to [0, 1] (default) instead of 0–255.</param>
    public static DatasetSplits FashionMnist(string? path = null, bool download = true, bool scale = true) =>
        Load(DatasetCatalogue.FashionMnist, new DataSources { ExplicitPath = path, AllowDownload = download }, scale);

    /// <summary>MNIST handwritten digits (60,000 / 10,000).</summary>
    /// <inheritdoc cref="FashionMnist" path="/param"/>
    public static DatasetSplits Mnist(string? path = null, bool download = true, bool scale = true) =>
        Load(DatasetCatalogue.Mnist, new DataSources { ExplicitPath = path, AllowDownload = download }, scale);

    /// <summary>Kuzushiji-MNIST (60,000 / 10,000).</summary>
    /// <inheritdoc cref="FashionMnist" path="/param"/>
    public static DatasetSplits Kmnist(string? path = null, bool download = true, bool scale = true) =>
        Load(DatasetCatalogue.Kmnist, new DataSources { ExplicitPath = path, AllowDownload = download }, scale);

    /// <summary>CIFAR-10 (50,000 / 10,000 RGB images, samples [3, 32, 32]).</summary>
    /// <inheritdoc cref="FashionMnist" path="/param"/>
    public static DatasetSplits Cifar10(string? path = null, bool download = true, bool scale = true) =>
        Load(DatasetCatalogue.Cifar10, new DataSources { ExplicitPath = path, AllowDownload = download }, scale);

    /// <summary>Resolves a catalogue dataset through the given sources and loads its standard splits.</summary>
    public static DatasetSplits Load(DatasetSpec spec, DataSources sources, bool scale = true) =>
        spec.Load(DatasetResolver.Resolve(spec, sources), scale);

    /// <summary>A table (CSV, TSV) with a label column.</summary>
    public static TensorDataset FromCsv(string path, CsvOptions? options = null) => CsvReader.Read(path, options);

    /// <summary>A folder with one sub-folder of images per class.</summary>
    public static TensorDataset FromImageFolder(string path, ImageFolderOptions? options = null) => ImageFolderReader.Read(path, options);

    /// <summary>An IDX image file with its IDX label file (samples [1, rows, cols]).</summary>
    public static TensorDataset FromIdx(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null, bool scale = true) =>
        IdxReader.ReadDataset(imagesPath, labelsPath, classNames, scale);

    /// <summary>
    /// A dataset by name (the command line's <c>--dataset</c>): <c>fashion-mnist</c> (never downloaded: it ships in
    /// <c>data/</c>), <c>mnist</c>, <c>kmnist</c>, <c>cifar10</c>, a <c>.csv</c>/<c>.tsv</c> file or an image folder. A single file
    /// or folder has no test split, so 20% of it (seeded) is held out as the test set.
    /// Throws <see cref="ArgumentException"/> for a name that is none of these.
    /// </summary>
    public static DatasetSplits ByName(string name, int? numClasses = null) => name.ToLowerInvariant() switch
    {
        "fashion-mnist" or "fashion_mnist" or "fashionmnist" => FashionMnist(download: false),
        "mnist" => Mnist(),
        "kmnist" => Kmnist(),
        "cifar10" or "cifar-10" => Cifar10(),
        _ when File.Exists(name) && (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)) =>
            HoldOutTest(FromCsv(name, new CsvOptions { NumClasses = numClasses })),
        _ when Directory.Exists(name) => HoldOutTest(FromImageFolder(name)),
        _ => throw new ArgumentException($"unknown dataset '{name}': expected fashion-mnist, mnist, kmnist, cifar10, a .csv/.tsv file or an image folder"),
    };

    private static DatasetSplits HoldOutTest(TensorDataset all)
    {
        var s = all.Split(0.8, seed: 0);
        return new DatasetSplits(s.Train, s.Validation);
    }
}
