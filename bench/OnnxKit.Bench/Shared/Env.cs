using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace OnnxKit.Bench.Shared;

/// <summary>Where things are (repository root, shipped data, the peer script) and how to run child processes.</summary>
public static class Env
{
    /// <summary>The repository root: the first folder above the program that holds OnnxKit.sln.</summary>
    public static string RepoRoot { get; } = FindRoot();

    public static string FashionMnist => Path.Combine(RepoRoot, "data", "fashion-mnist");

    /// <summary>The Python with torch 1.13 (ONNXKIT_PYTHON, default Debian's).</summary>
    public static string Python => Environment.GetEnvironmentVariable("ONNXKIT_PYTHON") ?? "/usr/bin/python3";

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "OnnxKit.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    /// <summary>Peak resident set size of this process in MB (VmHWM).</summary>
    public static double PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    /// <summary>This program again (for one workload per process, so each gets its own peak RSS).</summary>
    public static (string File, List<string> Prefix) Self()
    {
        var path = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(path) == "dotnet") return (path, [typeof(Env).Assembly.Location]);
        return (path, []);
    }

    /// <summary>Runs a child process and returns the JSON object on the last stdout line that parses as one; null on failure (reason printed).</summary>
    public static JsonObject? RunJson(string file, IEnumerable<string> args, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var err = p.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        string? l;
        while ((l = p.StandardOutput.ReadLine()) is not null) lines.Add(l);
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); Console.Error.WriteLine($"  {Path.GetFileName(file)} timed out"); return null; }
        if (p.ExitCode != 0)
        {
            Console.Error.WriteLine($"  {Path.GetFileName(file)} {string.Join(' ', args)} failed ({p.ExitCode}): {Tail(err.Result)}");
            return null;
        }
        for (int i = lines.Count - 1; i >= 0; i--)
            if (lines[i].StartsWith('{'))
                try { return JsonNode.Parse(lines[i]) as JsonObject; } catch (System.Text.Json.JsonException) { }
        Console.Error.WriteLine($"  {Path.GetFileName(file)} printed no JSON result");
        return null;
    }

    private static string Tail(string s) { s = s.Trim(); return s.Length > 600 ? "…" + s[^600..] : s; }

    public static double Median(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        if (a.Length == 0) return double.NaN;
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}
