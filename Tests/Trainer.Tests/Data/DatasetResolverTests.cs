using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class DatasetResolverTests
{
    /// <summary>Serves fixed bytes per URL and counts requests; anything else is a 404. No network is touched.</summary>
    private sealed class StubHandler(Dictionary<string, byte[]> files) : HttpMessageHandler
    {
        public int Requests;
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Requests);
            return Task.FromResult(files.TryGetValue(request.RequestUri!.ToString(), out var bytes)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }

    private static readonly string[] IdxNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>A spec like the MNIST family's, named "tiny", downloading from a fake host.</summary>
    private static DatasetSpec TinySpec(IReadOnlyList<RemoteFile>? downloads = null) => new()
    {
        Name = "tiny",
        RequiredFiles = IdxNames,
        Downloads = downloads ?? [],
        Load = (files, scale) => new DatasetSplits(
            IdxReader.ReadDataset(files["train-images-idx3-ubyte"], files["train-labels-idx1-ubyte"], null, scale),
            IdxReader.ReadDataset(files["t10k-images-idx3-ubyte"], files["t10k-labels-idx1-ubyte"], null, scale)),
    };

    private static DataSources Sources(TempDir dir, string? explicitPath = null, bool env = false, bool repo = false, bool download = false, HttpMessageHandler? handler = null) => new()
    {
        ExplicitPath = explicitPath,
        EnvironmentRoot = env ? dir["env"] : null,
        RepositoryRoot = repo ? dir["repo"] : null,
        CacheRoot = dir["cache"],
        AllowDownload = download,
        Downloader = handler is null ? null : new DatasetDownloader(handler),
    };

    [TestMethod]
    public void PlacesAreTriedInOrderExplicitEnvironmentRepositoryCache()
    {
        using var dir = new TempDir();
        DataFixtures.WriteTinyMnist(dir["explicit"], [0, 1], offset: 10, gzip: false);
        DataFixtures.WriteTinyMnist(dir["env/tiny"], [0, 1], offset: 20);
        DataFixtures.WriteTinyMnist(dir["repo/tiny"], [0, 1], offset: 30);
        DataFixtures.WriteTinyMnist(dir["cache/tiny"], [0, 1], offset: 40);
        float First(DataSources s) => Datasets.Load(TinySpec(), s, scale: false).Train.Sample(0)[0];
        Assert.AreEqual(10f, First(Sources(dir, dir["explicit"], env: true, repo: true)));
        Assert.AreEqual(20f, First(Sources(dir, dir["nowhere"], env: true, repo: true)));
        Assert.AreEqual(30f, First(Sources(dir, env: false, repo: true)));
        Assert.AreEqual(40f, First(Sources(dir)));
        Assert.AreEqual(20f, First(Sources(dir, dir["env"])), "an explicit data root holding tiny/ works too");
    }

    [TestMethod]
    public void NotFoundSaysWhereItLookedAndWhatToDo()
    {
        using var dir = new TempDir();
        DataFixtures.WriteTinyMnist(dir["repo/tiny"], [0, 1]);
        File.Delete(dir["repo/tiny/t10k-labels-idx1-ubyte.gz"]);
        var e = Assert.ThrowsExactly<DatasetNotFoundException>(() => Datasets.Load(TinySpec(), Sources(dir, dir["mine"], env: true, repo: true)));
        string m = e.Message;
        StringAssert.Contains(m, "dataset 'tiny' was not found");
        StringAssert.Contains(m, $"explicit path {dir["mine"]}: does not exist");
        StringAssert.Contains(m, $"$ONNXKIT_DATA {Path.Combine(dir["env"], "tiny")}: does not exist");
        StringAssert.Contains(m, $"repository data/ {Path.Combine(dir["repo"], "tiny")}: missing t10k-labels-idx1-ubyte");
        StringAssert.Contains(m, $"cache {Path.Combine(dir["cache"], "tiny")}: does not exist");
        StringAssert.Contains(m, "download: no download source is known");
        StringAssert.Contains(m, "To fix:");
        StringAssert.Contains(m, "ONNXKIT_DATA");
    }

    [TestMethod]
    public void DisabledDownloadIsNamed()
    {
        using var dir = new TempDir();
        var spec = TinySpec([new RemoteFile("x.gz", new Uri("https://example.invalid/x.gz"), new string('0', 64))]);
        var e = Assert.ThrowsExactly<DatasetNotFoundException>(() => Datasets.Load(spec, Sources(dir)));
        StringAssert.Contains(e.Message, "download: not allowed");
        StringAssert.Contains(e.Message, "https://example.invalid/x.gz");
    }

    [TestMethod]
    public void DownloadsIntoTheCacheVerifiedAndOnlyOnce()
    {
        using var dir = new TempDir();
        DataFixtures.WriteTinyMnist(dir["origin"], [1, 0, 2]);
        var served = IdxNames.ToDictionary(n => $"https://example.invalid/{n}.gz", n => File.ReadAllBytes(dir[$"origin/{n}.gz"]));
        var downloads = IdxNames.Select(n => new RemoteFile(n + ".gz", new Uri($"https://example.invalid/{n}.gz"), DataFixtures.Sha256(served[$"https://example.invalid/{n}.gz"]))).ToArray();
        var handler = new StubHandler(served);
        var d = Datasets.Load(TinySpec(downloads), Sources(dir, download: true, handler: handler), scale: false);
        CollectionAssert.AreEqual(new long[] { 1, 0, 2 }, d.Train.Labels);
        Assert.AreEqual(4, handler.Requests);
        CollectionAssert.AreEquivalent(IdxNames.Select(n => n + ".gz").ToArray(), Directory.GetFiles(dir["cache/tiny"]).Select(Path.GetFileName).ToArray());
        Datasets.Load(TinySpec(downloads), Sources(dir, download: true, handler: handler));
        Assert.AreEqual(4, handler.Requests, "the second load is served from the cache");
    }

    [TestMethod]
    public void HashMismatchDiscardsTheDownloadAndSaysSo()
    {
        using var dir = new TempDir();
        var served = new Dictionary<string, byte[]> { ["https://example.invalid/a.gz"] = [1, 2, 3] };
        var spec = TinySpec([new RemoteFile("a.gz", new Uri("https://example.invalid/a.gz"), new string('a', 64))]);
        var e = Assert.ThrowsExactly<DatasetNotFoundException>(() => Datasets.Load(spec, Sources(dir, download: true, handler: new StubHandler(served))));
        StringAssert.Contains(e.Message, "SHA-256 is " + DataFixtures.Sha256([1, 2, 3]));
        StringAssert.Contains(e.Message, "expected " + new string('a', 64));
        Assert.IsInstanceOfType<InvalidDataException>(e.InnerException);
        Assert.AreEqual(0, Directory.GetFiles(dir["cache/tiny"], "*", SearchOption.AllDirectories).Length, "nothing left in the cache");
    }

    [TestMethod]
    public void HttpErrorIsReported()
    {
        using var dir = new TempDir();
        var spec = TinySpec([new RemoteFile("a.gz", new Uri("https://example.invalid/missing.gz"), new string('a', 64))]);
        var e = Assert.ThrowsExactly<DatasetNotFoundException>(() => Datasets.Load(spec, Sources(dir, download: true, handler: new StubHandler([]))));
        StringAssert.Contains(e.Message, "https://example.invalid/missing.gz: the server answered 404");
    }

    [TestMethod]
    public void FileUrlDownloadIsVerifiedAndAtomic()
    {
        using var dir = new TempDir();
        byte[] payload = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 31)).ToArray();
        File.WriteAllBytes(dir["src.bin"], payload);
        var url = new Uri(dir["src.bin"]);
        var downloader = new DatasetDownloader();
        downloader.Download(url, dir["out/dst.bin"], DataFixtures.Sha256(payload).ToUpperInvariant());
        CollectionAssert.AreEqual(payload, File.ReadAllBytes(dir["out/dst.bin"]));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => downloader.Download(url, dir["out/other.bin"], new string('0', 64)));
        StringAssert.Contains(e.Message, url.ToString());
        Assert.IsFalse(File.Exists(dir["out/other.bin"]));
        CollectionAssert.AreEqual(new[] { "dst.bin" }, Directory.GetFiles(dir["out"]).Select(Path.GetFileName).ToArray(), "no partial file is left");
    }

    [TestMethod]
    public void CifarArchiveIsDownloadedAndUnpacked()
    {
        using var dir = new TempDir();
        string bin = Directory.CreateDirectory(dir["pack/cifar-10-batches-bin"]).FullName;
        foreach (var name in DatasetCatalogue.Cifar10.RequiredFiles)
            File.WriteAllBytes(Path.Combine(bin, name), DataFixtures.CifarRecords(name.StartsWith("test", StringComparison.Ordinal) ? (byte)8 : (byte)2));
        using var archive = new MemoryStream();
        using (var gz = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
            TarFile.CreateFromDirectory(bin, gz, includeBaseDirectory: true);
        var bytes = archive.ToArray();
        const string url = "https://example.invalid/cifar-10-binary.tar.gz";
        var spec = new DatasetSpec
        {
            Name = DatasetCatalogue.Cifar10.Name,
            RequiredFiles = DatasetCatalogue.Cifar10.RequiredFiles,
            SubFolders = DatasetCatalogue.Cifar10.SubFolders,
            AfterDownload = DatasetCatalogue.Cifar10.AfterDownload,
            Load = DatasetCatalogue.Cifar10.Load,
            Downloads = [new RemoteFile("cifar-10-binary.tar.gz", new Uri(url), DataFixtures.Sha256(bytes))],
        };
        var d = Datasets.Load(spec, Sources(dir, download: true, handler: new StubHandler(new() { [url] = bytes })));
        Assert.AreEqual(5, d.Train.Count);
        CollectionAssert.AreEqual(new long[] { 8 }, d.Test.Labels);
        Assert.IsTrue(File.Exists(dir["cache/cifar-10/cifar-10-batches-bin/test_batch.bin"]));
        Assert.IsFalse(File.Exists(dir["cache/cifar-10/cifar-10-binary.tar.gz"]), "the archive is removed once unpacked");
    }
}
