namespace OnnxKit.Training.Data;

/// <summary>A file a dataset can be downloaded as.</summary>
/// <param name="FileName">Name to save it under.</param>
/// <param name="Url">Where to get it.</param>
/// <param name="Sha256">SHA-256 of the downloaded bytes (hex).</param>
public sealed record RemoteFile(string FileName, Uri Url, string Sha256);

/// <summary>
/// What a catalogue dataset needs on disk and how to get it: the resolver accepts a folder when it (or one of
/// <see cref="SubFolders"/> inside it) holds every one of <see cref="RequiredFiles"/>, each plain or gzipped.
/// </summary>
public sealed class DatasetSpec
{
    /// <summary>The dataset's folder name under a data root (e.g. <c>fashion-mnist</c>).</summary>
    public required string Name { get; init; }
    /// <summary>File names that must all be present (without <c>.gz</c>; a gzipped copy counts too).</summary>
    public required IReadOnlyList<string> RequiredFiles { get; init; }
    /// <summary>Folders inside the dataset folder that may hold the files instead (e.g. an archive's top folder).</summary>
    public IReadOnlyList<string> SubFolders { get; init; } = [];
    /// <summary>What to download when no folder holds the files (empty: no download known).</summary>
    public IReadOnlyList<RemoteFile> Downloads { get; init; } = [];
    /// <summary>Run in the download folder after every download succeeded (e.g. unpack an archive).</summary>
    public Action<string>? AfterDownload { get; init; }
    /// <summary>Loads the standard splits from the folder the resolver found.</summary>
    public required Func<DatasetFiles, bool, DatasetSplits> Load { get; init; }
}

/// <summary>The folder a dataset was found in, and a way to name its files there.</summary>
/// <param name="Folder">The folder holding the required files.</param>
public sealed record DatasetFiles(string Folder)
{
    /// <summary>The path of <paramref name="name"/> in the folder: the plain file if present, else its <c>.gz</c> copy.</summary>
    public string this[string name] => File.Exists(Path.Combine(Folder, name)) ? Path.Combine(Folder, name) : Path.Combine(Folder, name + ".gz");
}
