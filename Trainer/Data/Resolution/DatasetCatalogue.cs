using System.Formats.Tar;
using System.IO.Compression;

namespace OnnxKit.Training.Data;

/// <summary>The datasets the resolver knows by name: their files, download sources and SHA-256 sums.</summary>
public static class DatasetCatalogue
{
    private static readonly string[] IdxFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Fashion-MNIST class names, index = label.</summary>
    public static readonly IReadOnlyList<string> FashionMnistClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    /// <summary>MNIST class names (the digits).</summary>
    public static readonly IReadOnlyList<string> MnistClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    /// <summary>Kuzushiji-MNIST class names (romanised hiragana).</summary>
    public static readonly IReadOnlyList<string> KmnistClasses = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"];

    /// <summary>Fashion-MNIST (Zalando Research, MIT); shipped in the repository's <c>data/fashion-mnist</c>.</summary>
    public static DatasetSpec FashionMnist { get; } = Idx("fashion-mnist", FashionMnistClasses, "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        ("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        ("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        ("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"));

    /// <summary>MNIST handwritten digits.</summary>
    public static DatasetSpec Mnist { get; } = Idx("mnist", MnistClasses, "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"));

    /// <summary>Kuzushiji-MNIST (cursive Japanese characters, CC BY-SA 4.0).</summary>
    public static DatasetSpec Kmnist { get; } = Idx("kmnist", KmnistClasses, "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        ("train-images-idx3-ubyte.gz", "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4"),
        ("train-labels-idx1-ubyte.gz", "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17"),
        ("t10k-images-idx3-ubyte.gz", "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5"),
        ("t10k-labels-idx1-ubyte.gz", "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c"));

    /// <summary>CIFAR-10, binary version (five training batches and one test batch of 10,000 32×32 RGB images).</summary>
    public static DatasetSpec Cifar10 { get; } = new()
    {
        Name = "cifar-10",
        RequiredFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"],
        SubFolders = ["cifar-10-batches-bin"],
        Downloads = [new RemoteFile("cifar-10-binary.tar.gz", new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")],
        AfterDownload = folder => ExtractTarGz(Path.Combine(folder, "cifar-10-binary.tar.gz"), folder),
        Load = (files, scale) => new DatasetSplits(
            Cifar10Reader.ReadBatches(Enumerable.Range(1, 5).Select(i => files[$"data_batch_{i}.bin"]).ToArray(), scale),
            Cifar10Reader.ReadBatches([files["test_batch.bin"]], scale)),
    };

    private static DatasetSpec Idx(string name, IReadOnlyList<string> classes, string baseUrl, params (string File, string Sha256)[] downloads) => new()
    {
        Name = name,
        RequiredFiles = IdxFiles,
        Downloads = downloads.Select(d => new RemoteFile(d.File, new Uri(baseUrl + d.File), d.Sha256)).ToArray(),
        Load = (files, scale) => new DatasetSplits(
            IdxReader.ReadDataset(files["train-images-idx3-ubyte"], files["train-labels-idx1-ubyte"], classes, scale),
            IdxReader.ReadDataset(files["t10k-images-idx3-ubyte"], files["t10k-labels-idx1-ubyte"], classes, scale)),
    };

    /// <summary>Unpacks a .tar.gz into <paramref name="folder"/> and deletes the archive once that succeeded.</summary>
    internal static void ExtractTarGz(string archive, string folder)
    {
        using (var gz = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress))
            TarFile.ExtractToDirectory(gz, folder, overwriteFiles: true);
        File.Delete(archive);
    }
}
