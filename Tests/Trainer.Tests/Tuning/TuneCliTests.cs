using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Tuning;

/// <summary>
/// <c>onnxkit tune</c> run as real processes on the small breast-cancer CSV: two processes sharing one study file
/// run every trial once and lose none; a process killed mid-trial is resumed without re-running finished trials;
/// the best trial's printed command reproduces it; mistakes exit with code 2 and one line.
/// </summary>
[TestClass]
public sealed partial class TuneCliTests
{
    private static readonly string Wdbc = Path.Combine(Python.RepoRoot, "data", "breast-cancer", "wdbc.csv");

    // Slow enough trials (batches of 8 for 12 epochs) that a kill lands inside one.
    private const string SlowSpace = """{ "lr": { "type": "float", "low": 1e-4, "high": 1e-2, "log": true }, "batch_size": { "type": "categorical", "choices": ["8"] } }""";

    private static string[] Tune(string dir, string budget, string maxEpochs = "12", string pruner = "none") =>
        ["tune", "--dataset", Wdbc, "--space", Path.Combine(dir, "space.json"), "--budget", budget, "--max-epochs", maxEpochs, "--pruner", pruner,
         "--threads", "1", "--plain", "--study", Path.Combine(dir, "study.db"), "--out", Path.Combine(dir, "out")];

    [GeneratedRegex(@"^trial (\d+) started", RegexOptions.Multiline)]
    private static partial Regex StartedLine();

    private static int[] Started(string output) => StartedLine().Matches(output).Select(m => int.Parse(m.Groups[1].Value)).ToArray();

    private static List<(int Number, string State)> StoredTrials(string db)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using var q = c.CreateCommand();
        q.CommandText = "SELECT number, state FROM trials ORDER BY number";
        using var r = q.ExecuteReader();
        var list = new List<(int, string)>();
        while (r.Read()) list.Add((r.GetInt32(0), r.GetString(1)));
        return list;
    }

    private static Process Start(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { OnnxkitCli.Dll }.Concat(args)) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    [TestMethod]
    public void TwoProcessesSharingAStudyRunEveryTrialOnceAndLoseNone()
    {
        string dir = Directory.CreateTempSubdirectory("tune2").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "space.json"), SlowSpace);
            using var a = Start(Tune(dir, "8", maxEpochs: "2"));
            using var b = Start(Tune(dir, "8", maxEpochs: "2"));
            var outA = a.StandardOutput.ReadToEndAsync(); var outB = b.StandardOutput.ReadToEndAsync();
            var errA = a.StandardError.ReadToEndAsync(); var errB = b.StandardError.ReadToEndAsync();
            Assert.IsTrue(a.WaitForExit(300_000) && b.WaitForExit(300_000), "both processes finish");
            Assert.AreEqual(0, a.ExitCode, errA.Result + outA.Result);
            Assert.AreEqual(0, b.ExitCode, errB.Result + outB.Result);
            var all = Started(outA.Result).Concat(Started(outB.Result)).Order().ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(0, 8).ToArray(), all, $"each trial started once:\n{outA.Result}\n{outB.Result}");
            var stored = StoredTrials(Path.Combine(dir, "study.db"));
            Assert.AreEqual(8, stored.Count);
            Assert.IsTrue(stored.All(t => t.State == "COMPLETE"), string.Join(", ", stored));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AKilledStudyResumesReRunningOnlyTheTrialItWasRunning()
    {
        string dir = Directory.CreateTempSubdirectory("tunekill").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "space.json"), SlowSpace);
            string db = Path.Combine(dir, "study.db");
            using (var p = Start(Tune(dir, "5")))
            {
                _ = p.StandardOutput.ReadToEndAsync(); _ = p.StandardError.ReadToEndAsync();
                // Kill (SIGKILL, no cleanup) once two trials are done and a third is running.
                var sw = Stopwatch.StartNew();
                while (sw.Elapsed < TimeSpan.FromSeconds(240) && !p.HasExited)
                {
                    if (File.Exists(db))
                    {
                        try
                        {
                            var t = StoredTrials(db);
                            if (t.Count(x => x.State == "COMPLETE") >= 2 && t.Any(x => x.State == "RUNNING")) break;
                        }
                        catch (SqliteException) { /* the schema is still being created */ }
                    }
                    Thread.Sleep(20);
                }
                Assert.IsFalse(p.HasExited, "the study was still running when killed");
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
            var before = StoredTrials(db);
            var finished = before.Where(t => t.State == "COMPLETE").Select(t => t.Number).ToList();
            int killed = before.Single(t => t.State == "RUNNING").Number;

            var (code, stdout, stderr) = OnnxkitCli.Run(Tune(dir, "5"), 300);
            Assert.AreEqual(0, code, stderr + stdout);
            var rerun = Started(stdout);
            CollectionAssert.Contains(rerun, killed, $"the killed trial {killed} is run again:\n{stdout}");
            foreach (int f in finished) CollectionAssert.DoesNotContain(rerun, f, $"finished trial {f} is not run again:\n{stdout}");
            var after = StoredTrials(db);
            CollectionAssert.AreEqual(Enumerable.Range(0, 5).ToArray(), after.Select(t => t.Number).ToArray());
            Assert.IsTrue(after.All(t => t.State == "COMPLETE"), string.Join(", ", after));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TheBestTrialsPrintedCommandReproducesItsValidationAccuracy()
    {
        string dir = Directory.CreateTempSubdirectory("tunebest").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "space.json"), """
                { "depth": { "type": "int", "low": 1, "high": 2 }, "width": { "type": "int", "low": 8, "high": 64, "log": true },
                  "lr": { "type": "float", "low": 1e-3, "high": 1e-1, "log": true } }
                """);
            var (code, stdout, stderr) = OnnxkitCli.Run(Tune(dir, "4", maxEpochs: "3", pruner: "asha"), 300);
            Assert.AreEqual(0, code, stderr + stdout);
            string best = Path.Combine(dir, "out", "best");
            foreach (var f in new[] { "model.onnx", "command.txt", "artifacts/manifest.json" }) Assert.IsTrue(File.Exists(Path.Combine(best, f)), f);
            foreach (var f in new[] { "leaderboard.json", "leaderboard.csv", "optimization_history.png", "param_lr.png" }) Assert.IsTrue(File.Exists(Path.Combine(dir, "out", f)), f);
            using var board = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "leaderboard.json")));
            var top = board.RootElement.GetProperty("trials")[0];
            Assert.AreEqual("complete", top.GetProperty("state").GetString());

            // The command as printed, with its output redirected into the test's folder.
            string command = File.ReadAllText(Path.Combine(best, "command.txt")).Trim();
            var args = command.Split(' ').Skip(1).Select(a => a.Trim('\'')).ToList();
            args[args.IndexOf("--out") + 1] = Path.Combine(dir, "retrain");
            var (rc, rout, rerr) = OnnxkitCli.Run([.. args, "--plain"], 300);
            Assert.AreEqual(0, rc, rerr + rout);
            double Val(string metrics) => JsonDocument.Parse(File.ReadAllText(metrics)).RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("val_loss").GetDouble();
            Assert.AreEqual(Val(Path.Combine(best, "metrics.json")), Val(Path.Combine(dir, "retrain", "metrics.json")), 1e-6, "the retrained run ends at the trial's validation loss");
            Assert.AreEqual(top.GetProperty("value").GetDouble(),
                JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "retrain", "metrics.json"))).RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("val_accuracy").GetDouble(), 1e-9);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    [DataRow(new[] { "--budget", "soon" }, "--budget: expected a wall time")]
    [DataRow(new[] { "--sampler", "grid" }, "--sampler must be 'tpe' or 'random', got 'grid'")]
    [DataRow(new[] { "--pruner", "hyperband" }, "--pruner must be 'asha' or 'none'")]
    [DataRow(new[] { "--workers", "0" }, "--workers must be at least 1")]
    [DataRow(new[] { "--validation-split", "0" }, "never the test split")]
    [DataRow(new[] { "--model", "lstm" }, "no built-in search space for 'lstm'")]
    [DataRow(new[] { "--space", "no-such-space.yaml" }, "search space file 'no-such-space.yaml' does not exist")]
    public void BadTuneOptionsExitWithCode2AndOneLine(string[] args, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("tunebad").FullName;
        try
        {
            var (code, stdout, stderr) = OnnxkitCli.Run(["tune", "--dataset", Wdbc, "--study", Path.Combine(dir, "s.db"), "--out", Path.Combine(dir, "out"), .. args], 120);
            Assert.AreEqual(2, code, stdout + stderr);
            StringAssert.Contains(stderr, expected);
            Assert.AreEqual(1, stderr.Trim().Split('\n').Length, $"one line: {stderr}");
            Assert.IsFalse(File.Exists(Path.Combine(dir, "s.db")), "no study file is made for a mistake");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    [DataRow("width: { type: int, low: 64, high: 8 }", "space.yaml: parameter 'width': expected low ≤ high")]
    [DataRow("momentum: { type: float, low: 0.5, high: 0.9 }", "--space: parameter 'momentum' is not something onnxkit train sets for mlp")]
    [DataRow("lr: [1, 2", "space.yaml: not valid YAML")]
    public void ABadSpaceFileExitsWithCode2NamingTheProblem(string yaml, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("tunespace").FullName;
        try
        {
            string space = Path.Combine(dir, "space.yaml");
            File.WriteAllText(space, yaml);
            var (code, stdout, stderr) = OnnxkitCli.Run(["tune", "--dataset", Wdbc, "--space", space, "--study", Path.Combine(dir, "s.db"), "--out", Path.Combine(dir, "out")], 120);
            Assert.AreEqual(2, code, stdout + stderr);
            StringAssert.Contains(stderr, expected);
            Assert.AreEqual(1, stderr.Trim().Split('\n').Length, $"one line: {stderr}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TrainRefusesAnUnknownArchitectureParameter()
    {
        var (code, _, stderr) = OnnxkitCli.Run(["train", "--dataset", Wdbc, "--arch-params", "depth=2,heads=4"], 120);
        Assert.AreEqual(2, code, stderr);
        StringAssert.Contains(stderr, "architecture 'mlp' has no parameter 'heads': expected depth, width, dropout");
    }
}
