namespace OnnxKit.Training.Data;

/// <summary>
/// Where the dataset resolver looks, in this order: an explicit path, <c>$ONNXKIT_DATA</c>, the repository's
/// <c>data/</c> folder, the cache (<c>~/.cache/onnxkit</c>), and finally a download into the cache.
/// Each place can be replaced (tests point them at temporary folders).
/// </summary>
public sealed class DataSources
{
    /// <summary>Name of the environment variable naming a data root.</summary>
    public const string EnvironmentVariable = "ONNXKIT_DATA";

    /// <summary>A folder holding the dataset's files, or a data root holding the dataset's folder.</summary>
    public string? ExplicitPath { get; init; }
    /// <summary>Data root from the environment (default: <c>$ONNXKIT_DATA</c>).</summary>
    public string? EnvironmentRoot { get; init; } = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } v ? v : null;
    /// <summary>The repository's <c>data/</c> folder (default: found by walking up from the app's base directory to <c>OnnxKit.sln</c>).</summary>
    public string? RepositoryRoot { get; init; } = FindRepositoryData(AppContext.BaseDirectory);
    /// <summary>Download cache root (default: <c>~/.cache/onnxkit</c>).</summary>
    public string CacheRoot { get; init; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "onnxkit");
    /// <summary>Whether to download into the cache when nothing is found.</summary>
    public bool AllowDownload { get; init; } = true;
    /// <summary>The downloader (replaceable, e.g. with a stub <see cref="HttpMessageHandler"/>).</summary>
    public DatasetDownloader? Downloader { get; init; }

    /// <summary>The <c>data/</c> folder beside the first <c>OnnxKit.sln</c> above <paramref name="start"/>, or null.</summary>
    public static string? FindRepositoryData(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "OnnxKit.sln")))
                return Path.Combine(d.FullName, "data");
        return null;
    }
}
