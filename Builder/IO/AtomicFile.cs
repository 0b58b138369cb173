using System.Diagnostics;
using System.Text;

namespace OnnxKit.IO;

/// <summary>
/// Write-then-rename file writing: the bytes go to a temporary file beside the target (same directory, so the same
/// file system and an atomic rename), are flushed to disk, and only then replace the target. A reader sees the old
/// file or the new one, never a half-written one; a write that fails or is killed leaves the previous file intact
/// and its temporary is deleted (or, after a kill, removed by the next write of the same target).
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark).</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Encoding.UTF8.GetBytes(text));

    /// <summary>Writes <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = Begin(path);
        using (var s = file.OpenWrite())
        {
            s.Write(bytes);
        }
        file.Commit();
    }

    /// <summary>Writes whatever <paramref name="write"/> puts into the stream it is given.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        using var file = Begin(path);
        using (var s = file.OpenWrite())
        {
            write(s);
        }
        file.Commit();
    }

    /// <summary>
    /// For writers that only take a file name (an image library's <c>Save(path)</c>): <paramref name="write"/> receives
    /// the temporary's path, which ends in the target's own extension so that writers choosing a format by extension
    /// choose the same one.
    /// </summary>
    public static void WriteVia(string path, Action<string> write)
    {
        using var file = Begin(path);
        write(file.TemporaryPath);
        file.Commit();
    }

    /// <summary>
    /// Starts a write of <paramref name="path"/> whose temporary the caller fills, for saves of several files that
    /// must all be complete before any is renamed (a model and its external data). Dispose without
    /// <see cref="PendingFile.Commit"/> and the target is untouched.
    /// </summary>
    public static PendingFile Begin(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        RemoveStaleTemporaries(full);
        return new PendingFile(full, TemporaryName(full));
    }

    // "<file>.tmp<pid>-<unique><ext>": the pid lets a later write tell a temporary left by a killed process from one
    // being written right now; the unique part keeps two writers in one process apart.
    private static string TemporaryName(string full) =>
        $"{full}.tmp{Environment.ProcessId}-{Guid.NewGuid():N}{Path.GetExtension(full)}";

    /// <summary>Removes temporaries of <paramref name="full"/> whose writing process no longer runs.</summary>
    private static void RemoveStaleTemporaries(string full)
    {
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) return;
        string prefix = Path.GetFileName(full) + ".tmp";
        foreach (var f in Directory.EnumerateFiles(dir, prefix + "*"))
        {
            string rest = Path.GetFileName(f)[prefix.Length..];
            int end = rest.IndexOfAny(['-', '.']);
            if (!int.TryParse(end < 0 ? rest : rest[..end], out int pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

/// <summary>
/// One file being written atomically (from <see cref="AtomicFile.Begin"/>): fill <see cref="TemporaryPath"/>, then
/// <see cref="Commit"/>; disposing deletes the temporary if it was not committed.
/// </summary>
public sealed class PendingFile : IDisposable
{
    internal PendingFile(string targetPath, string temporaryPath)
    {
        TargetPath = targetPath;
        TemporaryPath = temporaryPath;
    }

    /// <summary>Full path of the file that <see cref="Commit"/> replaces.</summary>
    public string TargetPath { get; }

    /// <summary>Where the new content is written, in the target's directory.</summary>
    public string TemporaryPath { get; }

    /// <summary>Whether <see cref="Commit"/> has renamed the temporary over the target.</summary>
    public bool Committed { get; private set; }

    /// <summary>A stream that creates the temporary (close it before <see cref="Commit"/>).</summary>
    public FileStream OpenWrite() => new(TemporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);

    /// <summary>
    /// Makes sure the temporary's bytes are on disk (an <c>fsync</c>, so writers need not flush themselves), then
    /// renames it over the target.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing was written to the temporary.</exception>
    public void Commit()
    {
        if (Committed) return;
        if (!File.Exists(TemporaryPath))
            throw new FileNotFoundException($"nothing was written for '{TargetPath}' (its temporary '{TemporaryPath}' does not exist)", TemporaryPath);
        using (var f = new FileStream(TemporaryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) f.Flush(true);
        File.Move(TemporaryPath, TargetPath, overwrite: true);
        Committed = true;
    }

    /// <summary>Deletes the temporary unless it was committed.</summary>
    public void Dispose()
    {
        if (Committed) return;
        try { if (File.Exists(TemporaryPath)) File.Delete(TemporaryPath); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
