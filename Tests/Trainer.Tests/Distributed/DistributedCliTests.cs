using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Checkpoints;

namespace OnnxKit.Tests.Distributed;

/// <summary><c>mpirun -np 2 onnxkit train</c> as real processes: one report, one run folder, the result of one process.</summary>
[TestClass]
public sealed class DistributedCliTests
{
    private static string[] Train(string dir, params string[] more) =>
        ["train", "--model", "mlp", "--dataset", Path.Combine(Python.RepoRoot, "data", "breast-cancer", "wdbc.csv"), "--epochs", "2", "--batch-size", "32",
         "--optimizer", "sgd", "--lr", "0.05", "--plain", "--out", dir, .. more];

    [TestMethod]
    public void TwoRanksWriteOneRunFolderWithTheResultOfOneProcess()
    {
        string launcher = MpiJob.Launcher;
        string dir = Directory.CreateTempSubdirectory("cli_mpi").FullName;
        try
        {
            string one = Path.Combine(dir, "one"), two = Path.Combine(dir, "two");
            var (code, stdout, stderr) = OnnxkitCli.Run(Train(one, "--threads", "1"), 300);
            Assert.AreEqual(0, code, stdout + stderr);
            (code, stdout, stderr) = Python.Run(launcher, [.. MpiJob.Prefix(2), OnnxkitCli.Dll, .. Train(two)], 300);
            Assert.AreEqual(0, code, stdout + stderr);
            Assert.AreEqual(1, stdout.Split('\n').Count(l => l.StartsWith("epoch 2/2")), "progress from rank 0 only:\n" + stdout);
            StringAssert.Contains(stdout, "data-parallel over 2 MPI ranks (1 ORT thread each)");

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(two, "metrics.json")));
            Assert.AreEqual(2, json.RootElement.GetProperty("world_size").GetInt32());
            using var single = JsonDocument.Parse(File.ReadAllText(Path.Combine(one, "metrics.json")));
            Assert.AreEqual(1, single.RootElement.GetProperty("world_size").GetInt32());
            Assert.AreEqual(single.RootElement.GetProperty("test_loss").GetDouble(), json.RootElement.GetProperty("test_loss").GetDouble(), 1e-4,
                "test loss (evaluated over both ranks) against one process");
            var a = SafeTensors.Read(Path.Combine(one, "last.safetensors")).Tensors.ToDictionary(t => t.Name);
            foreach (var t in SafeTensors.Read(Path.Combine(two, "last.safetensors")).Tensors.Where(t => t.Type == IR.ElementType.Float32))
                Compare.Close(a[t.Name].ToFloats(), t.ToFloats(), 1e-5, 1e-4, $"'{t.Name}' after 2 epochs on 2 ranks against 1 process");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    [DataRow(new[] { "--accumulate-steps", "0" }, "--accumulate-steps must be at least 1, got 0")]
    [DataRow(new[] { "--distributed", "nccl" }, "--distributed must be 'auto', 'mpi' or 'none', got 'nccl'")]
    [DataRow(new[] { "--batch-threads", "0" }, "--batch-threads must be at least 1 (1: no split), got 0")]
    [DataRow(new[] { "--host-update", "maybe" }, "--host-update must be 'on' or 'off', got 'maybe'")]
    public void BadDistributedOptionsAreOneLineErrors(string[] args, string expected)
    {
        var (code, stdout, stderr) = OnnxkitCli.Run([.. Train(Path.Combine(Path.GetTempPath(), "onnxkit-cli-bad-dp")), .. args], 120);
        Assert.AreEqual(2, code, stdout + stderr);
        Assert.AreEqual($"onnxkit: {expected}", stderr.Trim());
    }
}
