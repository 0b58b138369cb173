using System.Diagnostics;

namespace OnnxKit.Training.Checkpoints;

/// <summary>
/// Removes the temporary files (<c>&lt;file&gt;.tmp&lt;pid&gt;</c>) that an atomic write killed before its rename left
/// next to its target. Called before each new write of the target; a temporary whose process is still running is
/// left alone (it may be writing right now).
/// </summary>
internal static class StaleTemporaries
{
    public static void Remove(string fullPath)
    {
        string? dir = Path.GetDirectoryName(fullPath);
        if (dir is null || !Directory.Exists(dir)) return;
        string prefix = Path.GetFileName(fullPath) + ".tmp";
        foreach (var f in Directory.EnumerateFiles(dir, prefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(f)[prefix.Length..], out int pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
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
