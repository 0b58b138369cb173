using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Distributed;

namespace OnnxKit.Tests.Distributed;

/// <summary>
/// Data-parallel training under <c>mpirun</c> against the same training in one process: the same global batch, data order
/// and Dropout masks give the same parameters, on every rank alike; accumulated micro-batches give one large step; a
/// checkpoint moves between world sizes; a rank that dies or raises ends the job.
/// </summary>
[TestClass]
public sealed class DataParallelTests
{
    private static string _dir = "";

    [ClassInitialize]
    public static void Init(TestContext _) => _dir = Directory.CreateTempSubdirectory("onnxkit-dp").FullName;

    [ClassCleanup]
    public static void Cleanup() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    // The reference: one process, the fused train step (no split step at all) unless accumulating.
    private static Dictionary<string, float[]> OneProcess(int batch, int accumulate, int epochs, string? resume = null)
    {
        using var learner = DistributedWorker.CreateLearner(new SingleProcess());
        learner.Fit(DistributedWorker.Data(), DistributedWorker.Options(batch, accumulate, epochs, resume));
        return Trajectories.FloatState(learner);
    }

    private static Dictionary<string, float[]> Read(string path) =>
        SafeTensors.Read(path).Tensors.Where(t => t.Type == IR.ElementType.Float32).ToDictionary(t => t.Name, t => t.ToFloats());

    private static string Run(int ranks, string name, params string[] args)
    {
        string dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        var (code, stdout, stderr, _) = MpiJob.Worker(ranks, ["--out", dir, .. args]);
        Assert.AreEqual(0, code, $"mpirun -np {ranks} worker {string.Join(' ', args)}:\n{stdout}\n{stderr}");
        return dir;
    }

    // Per tensor: the largest difference relative to the tensor's largest magnitude.
    private static void AssertClose(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, double relative, string what)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList(), what);
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            double scale = e.Max(v => Math.Abs((double)v)), diff = e.Zip(a, (x, y) => Math.Abs((double)x - y)).Max();
            Assert.IsTrue(diff <= relative * scale, $"{what}: '{name}' differs by {diff:G3} (largest magnitude {scale:G3}, bound {relative:G1} relative)");
        }
    }

    [TestMethod]
    public void TwoRanksTrainLikeOneProcessOnTheWholeBatchAndStayBitIdentical()
    {
        // 320 samples, global batch 32: 20 steps in 2 epochs; each rank computes 16 rows per step.
        string dir = Run(2, "np2", "--batch", "32", "--epochs", "2");
        var rank0 = Read(Path.Combine(dir, "rank0.safetensors"));
        var rank1 = Read(Path.Combine(dir, "rank1.safetensors"));
        foreach (var (name, v) in rank0) CollectionAssert.AreEqual(v, rank1[name], $"'{name}' bit-identical on both ranks");
        Assert.AreEqual("20", SafeTensors.Read(Path.Combine(dir, "rank0.safetensors")).Metadata["step"]);
        AssertClose(OneProcess(32, 1, 2), rank0, 1e-5, "2 ranks against 1 process after 20 steps");
    }

    [TestMethod]
    public void AccumulatingMicroBatchesEqualsOneStepOnTheLargerBatch()
    {
        var large = OneProcess(32, 1, 2);
        AssertClose(large, OneProcess(8, 4, 2), 1e-5, "1 process, 4 accumulated micro-batches of 8 against batches of 32");
        // Under MPI: micro-batches of 16 (8 rows per rank), two per step.
        AssertClose(large, Read(Path.Combine(Run(2, "np2-acc", "--batch", "16", "--accumulate", "2", "--epochs", "2"), "rank0.safetensors")), 1e-5,
            "2 ranks × 2 accumulated micro-batches of 16 against batches of 32");
    }

    [TestMethod]
    public void ACheckpointOfTwoRanksResumesOnThreeRanksAndOnOneProcess()
    {
        var uninterrupted = OneProcess(32, 1, 2);
        string first = Path.Combine(Run(2, "resume-first", "--batch", "32", "--epochs", "1"), "rank0.safetensors");
        var onThree = Read(Path.Combine(Run(3, "resume-on3", "--batch", "32", "--epochs", "2", "--resume", first), "rank0.safetensors"));
        AssertClose(uninterrupted, onThree, 1e-5, "epoch 1 on 2 ranks, epoch 2 on 3 ranks, against 2 epochs in 1 process");
        AssertClose(uninterrupted, OneProcess(32, 1, 2, resume: first), 1e-5, "epoch 1 on 2 ranks, epoch 2 in 1 process");
    }

    [TestMethod]
    public void ARankThatDiesOrRaisesEndsTheWholeJobWithinAMinute()
    {
        var (code, stdout, stderr, elapsed) = MpiJob.Worker(2, "--out", _dir, "--batch", "32", "--epochs", "50", "--kill-at", "3");
        Assert.AreNotEqual(0, code, "the job fails when a rank is killed");
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(60), $"the surviving rank stopped after {elapsed.TotalSeconds:F0} s");
        StringAssert.Contains(stdout + stderr, "signal 9", "mpirun names the killed rank's signal");

        (code, stdout, stderr, elapsed) = MpiJob.Worker(2, "--out", _dir, "--batch", "32", "--epochs", "50", "--raise-at", "3");
        Assert.AreNotEqual(0, code, "the job fails when a rank raises");
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(60), $"the other rank stopped after {elapsed.TotalSeconds:F0} s");
        var lines = stderr.Split('\n').Where(l => l.StartsWith("worker: rank")).ToList();
        CollectionAssert.AreEqual(new[] { "worker: rank 1: a fault raised at step 3" }, lines, stderr);
    }
}
