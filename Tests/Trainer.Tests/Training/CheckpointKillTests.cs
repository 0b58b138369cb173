using System.Diagnostics;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Checkpoints;

namespace OnnxKit.Tests.TrainingLoop;

/// <summary>
/// A training process killed with SIGKILL while it rewrites its checkpoint every step leaves the previous
/// checkpoint intact (write-then-rename), and a run resumed from it (mid-epoch) ends bit-identical to an uninterrupted one.
/// </summary>
[TestClass]
public sealed class CheckpointKillTests
{
    [TestMethod]
    public void SigkillDuringCheckpointingLeavesAResumableCheckpoint()
    {
        string cli = OnnxkitCli.Dll;
        string dir = Directory.CreateTempSubdirectory("kill").FullName;
        try
        {
            string ckpt = Path.Combine(dir, "last.safetensors");
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { cli, "train", "--epochs", "2", "--checkpoint-every", "1", "--plain", "--threads", "1", "--out", dir }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine(); p.BeginErrorReadLine();
            // Wait until checkpoints are being rewritten every step, then kill at once, without any cleanup.
            var sw = Stopwatch.StartNew();
            while (!File.Exists(ckpt) && sw.Elapsed < TimeSpan.FromSeconds(120) && !p.HasExited) Thread.Sleep(20);
            Assert.IsTrue(File.Exists(ckpt), "the run wrote a checkpoint");
            Thread.Sleep(300);
            Assert.IsFalse(p.HasExited, "the run was still training when killed");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();

            var (tensors, meta) = SafeTensors.Read(ckpt);
            Assert.IsTrue(tensors.Count > 0);
            long step = long.Parse(meta["step"]);
            Assert.IsTrue(step >= 1, $"checkpoint step {step}");
            Assert.IsFalse(Directory.GetFiles(dir).Any(f => f.Contains(".tmp") && f.EndsWith("last.safetensors")), "no half-written file under the final name");

            // Resume from it: the run continues and completes.
            var (code, stdout, stderr) = Python.Run("dotnet", [cli, "train", "--epochs", "1", "--plain", "--threads", "1", "--resume", ckpt, "--out", Path.Combine(dir, "resumed")], 600);
            Assert.AreEqual(0, code, stderr + stdout);
            StringAssert.Contains(stdout, "test accuracy");
            // The kill landed in the middle of epoch 1: the resumed run ends with the weights of one uninterrupted epoch.
            Assert.IsTrue(step < 422, $"checkpoint step {step} lies in epoch 1");
            (code, stdout, stderr) = Python.Run("dotnet", [cli, "train", "--epochs", "1", "--plain", "--threads", "1", "--out", Path.Combine(dir, "straight")], 600);
            Assert.AreEqual(0, code, stderr + stdout);
            var straight = SafeTensors.Read(Path.Combine(dir, "straight", "last.safetensors")).Tensors;
            var resumed = SafeTensors.Read(Path.Combine(dir, "resumed", "last.safetensors")).Tensors.ToDictionary(t => t.Name);
            foreach (var t in straight) CollectionAssert.AreEqual(t.Bytes, resumed[t.Name].Bytes, $"'{t.Name}' after a resume from step {step}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
