using System.Diagnostics;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace OnnxKit.Tests.Support;

/// <summary>
/// Runs reference scripts with the Python that has Debian's <c>python3-torch</c> and <c>python3-onnx</c>
/// (default <c>/usr/bin/python3</c>; override with <c>ONNXKIT_PYTHON</c>). Tests that need it are marked
/// inconclusive (skipped) with a message where it is missing, never silently passed.
/// </summary>
public static class Python
{
    /// <summary>The interpreter.</summary>
    public static string Interpreter => Environment.GetEnvironmentVariable("ONNXKIT_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    private static readonly Dictionary<string, bool> Available = [];

    /// <summary>True when the interpreter can import every module named.</summary>
    public static bool Has(params string[] modules)
    {
        string key = string.Join(",", modules);
        lock (Available)
        {
            if (Available.TryGetValue(key, out var ok)) return ok;
            try { ok = RunCode("import " + key, timeoutSeconds: 120).ExitCode == 0; } catch { ok = false; }
            return Available[key] = ok;
        }
    }

    /// <summary>Skips the calling test (inconclusive) unless the modules import.</summary>
    public static void Require(params string[] modules)
    {
        if (!Has(modules)) Assert.Inconclusive($"needs {Interpreter} with {string.Join(", ", modules)} (Debian: apt-get install python3-torch python3-onnx)");
    }

    /// <summary>Runs a script file with arguments; fails the test with its stderr when it exits non-zero.</summary>
    public static string RunScript(string scriptPath, params string[] args)
    {
        var (code, stdout, stderr) = Run(Interpreter, [scriptPath, .. args], 600);
        if (code != 0) Assert.Fail($"python {Path.GetFileName(scriptPath)} failed ({code}):\n{stderr}\n{stdout}");
        return stdout;
    }

    /// <summary>Runs inline Python code.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCode(string code, int timeoutSeconds = 600) => Run(Interpreter, ["-c", code], timeoutSeconds);

    /// <summary>Runs any program, capturing its output, killing it after the timeout.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string exe, string[] args, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); return (-1, so.Result, "timed out\n" + se.Result); }
        p.WaitForExit();
        return (p.ExitCode, so.Result, se.Result);
    }

    /// <summary>The repository root (the folder holding OnnxKit.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "OnnxKit.sln"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("cannot find OnnxKit.sln above the test binaries");
        }
    }
}
