using System.Text;

namespace OnnxKit.Training.Data;

/// <summary>Finds (or downloads) the folder holding a catalogue dataset's files.</summary>
public static class DatasetResolver
{
    /// <summary>Resolves <paramref name="spec"/> through <paramref name="sources"/>, in their documented order.</summary>
    /// <exception cref="DatasetNotFoundException">Nothing worked: the message says where it looked, what was missing there, and what to do.</exception>
    public static DatasetFiles Resolve(DatasetSpec spec, DataSources sources)
    {
        var tried = new List<string>();
        var candidates = new List<(string Label, string? Root, bool RootIsDatasetFolder)>
        {
            ("explicit path", sources.ExplicitPath, true),
            ("explicit path", sources.ExplicitPath, false),
            ($"${DataSources.EnvironmentVariable}", sources.EnvironmentRoot, false),
            ("repository data/", sources.RepositoryRoot, false),
            ("cache", sources.CacheRoot, false),
        };
        foreach (var (label, root, isDatasetFolder) in candidates)
        {
            if (root is null)
            {
                if (!isDatasetFolder || label != "explicit path")
                    tried.Add(label == "repository data/" ? $"{label}: no OnnxKit.sln above {AppContext.BaseDirectory}" : $"{label}: not set");
                continue;
            }
            string folder = isDatasetFolder ? root : Path.Combine(root, spec.Name);
            if (TryFolder(spec, folder, out var found, out string why)) return found!;
            tried.Add($"{label} {folder}: {why}");
        }

        Exception? downloadError = null;
        string cacheFolder = Path.Combine(sources.CacheRoot, spec.Name);
        if (spec.Downloads.Count == 0) tried.Add("download: no download source is known for this dataset");
        else if (!sources.AllowDownload) tried.Add("download: not allowed (download: false)");
        else
        {
            try
            {
                var downloader = sources.Downloader ?? new DatasetDownloader();
                foreach (var file in spec.Downloads)
                {
                    string destination = Path.Combine(cacheFolder, file.FileName);
                    if (!File.Exists(destination)) downloader.Download(file.Url, destination, file.Sha256);
                }
                spec.AfterDownload?.Invoke(cacheFolder);
                if (TryFolder(spec, cacheFolder, out var found, out string why)) return found!;
                tried.Add($"download into {cacheFolder}: finished, but {why}");
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException or TaskCanceledException or UnauthorizedAccessException)
            {
                downloadError = e;
                tried.Add($"download into {cacheFolder}: failed: {e.Message}");
            }
        }

        var message = new StringBuilder();
        message.AppendLine($"dataset '{spec.Name}' was not found. Looked in:");
        foreach (var t in tried) message.AppendLine("  - " + t);
        message.Append($"To fix: put the files {string.Join(", ", spec.RequiredFiles.Select(f => f + "[.gz]"))} in a folder and pass it as the path, " +
                       $"or set ${DataSources.EnvironmentVariable} to a folder holding '{spec.Name}/' with them, or place them in {cacheFolder}" +
                       (spec.Downloads.Count > 0 ? ", or allow the download (from " + string.Join(", ", spec.Downloads.Select(d => d.Url)) + ")." : "."));
        throw new DatasetNotFoundException(message.ToString(), downloadError);
    }

    private static bool TryFolder(DatasetSpec spec, string folder, out DatasetFiles? found, out string why)
    {
        found = null;
        if (!Directory.Exists(folder)) { why = "does not exist"; return false; }
        string? firstMissing = null;
        foreach (var sub in new[] { "" }.Concat(spec.SubFolders))
        {
            string dir = sub.Length == 0 ? folder : Path.Combine(folder, sub);
            var missing = spec.RequiredFiles.Where(f => !File.Exists(Path.Combine(dir, f)) && !File.Exists(Path.Combine(dir, f + ".gz"))).ToArray();
            if (missing.Length == 0) { found = new DatasetFiles(dir); why = ""; return true; }
            firstMissing ??= $"missing {string.Join(", ", missing)}";
        }
        why = firstMissing!;
        return false;
    }
}
