using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Schedules;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using MetricCatalog = OnnxKit.Metrics;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Resume;

/// <summary>
/// A run interrupted and resumed from its checkpoint ends exactly where the uninterrupted run ends: the same state
/// bytes (parameters, optimizer slots, step counter), Dropout masks included, the same metrics history, and the same
/// schedule and callback progress.
/// </summary>
[TestClass]
public sealed class ExactResumeTests
{
    private static readonly string Wdbc = Path.Combine(Python.RepoRoot, "data", "breast-cancer", "wdbc.csv");

    private static Learner NewLearner() =>
        new(new Sequential(new Dense(16, Activation.Relu), new Dropout(0.3), new Dense(2)) { Seed = 4 },
            OptimizerCatalog.Adam(1e-2), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), [MetricCatalog.Accuracy],
            new TrainingSessionOptions { IntraOpThreads = 1 });

    internal sealed class StopAtStep(long step) : Callback
    {
        public override void OnBatchEnd(TrainingContext ctx, long s, float loss) { if (s >= step) ctx.StopTraining = true; }
    }

    private static FitOptions Options(TensorDataset validation, Callback[] callbacks, string? resume = null, string? ckpt = null, int every = 0) => new()
    {
        Epochs = 4, BatchSize = 64, Seed = 7, Validation = validation, ResumeFrom = resume, CheckpointPath = ckpt, CheckpointEverySteps = every,
        // Patience 0 and a large threshold: the rate is cut after nearly every epoch, so a lost plateau state shows.
        Schedule = new ReduceLROnPlateau(1e-2, factor: 0.5, patience: 0, threshold: 0.5),
        Callbacks = callbacks,
    };

    [TestMethod]
    public void MidEpochResumeWithDropoutAndPlateauScheduleEndsBitIdentical()
    {
        var all = Datasets.FromCsv(Wdbc);
        var split = all.Split(0.8, seed: 1);
        var (train, validation) = (Standardized(split.Train), Standardized(split.Validation));
        string dir = Directory.CreateTempSubdirectory("exact_resume").FullName;
        try
        {
            using var straight = NewLearner();
            var expectedHistory = straight.Fit(train, Options(validation, [new EarlyStopping("val_loss", patience: 10)]));
            var expected = straight.Session!.State();

            // 8 steps per epoch (455 samples, batch 64): step 13 is in the middle of epoch 2.
            string ckpt = Path.Combine(dir, "step.safetensors");
            using (var first = NewLearner())
                first.Fit(train, Options(validation, [new EarlyStopping("val_loss", patience: 10), new StopAtStep(13)], ckpt: ckpt, every: 13));
            File.WriteAllText(ckpt + ".tmp999999999", "left by a killed write");   // no such process
            using var resumed = NewLearner();
            var history = resumed.Fit(train, Options(validation, [new EarlyStopping("val_loss", patience: 10)], resume: ckpt));
            var actual = resumed.Session!.State();
            Assert.AreEqual(32, resumed.Session.StepCount);
            foreach (var (name, t) in expected)
                CollectionAssert.AreEqual(t.Bytes, actual[name].Bytes, $"state '{name}' differs after resume");

            Assert.AreEqual(4, history.Epochs.Count, "the history holds the epochs before the checkpoint too");
            for (int e = 0; e < 4; e++)
            {
                Assert.AreEqual(expectedHistory.Epochs[e].TrainLoss, history.Epochs[e].TrainLoss, $"epoch {e + 1} train loss");
                Assert.AreEqual(expectedHistory.Epochs[e].ValLoss, history.Epochs[e].ValLoss, $"epoch {e + 1} val loss");
                Assert.AreEqual(expectedHistory.Epochs[e].LearningRate, history.Epochs[e].LearningRate, $"epoch {e + 1} learning rate (plateau state)");
            }
            Assert.IsTrue(history.Epochs[3].LearningRate < 1e-2, "the plateau schedule did cut the rate");

            resumed.SaveCheckpoint(ckpt);
            Assert.IsFalse(File.Exists(ckpt + ".tmp999999999"), "the stale temporary is removed on the next write");
            var (_, meta) = SafeTensors.Read(ckpt);
            StringAssert.Contains(meta["schedule"], "reduce_lr_on_plateau");
            Assert.IsTrue(meta.ContainsKey("callback.0.EarlyStopping"));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static TensorDataset Standardized(TensorDataset d)
    {
        // Fixed per-feature scaling by the column maxima of the file (the model's own preprocessing is not under test here).
        int w = d.SampleSize;
        var max = new float[w];
        for (int i = 0; i < d.Count; i++) for (int j = 0; j < w; j++) max[j] = Math.Max(max[j], Math.Abs(d.Features[i * w + j]));
        var f = d.Features.Select((v, k) => max[k % w] == 0 ? v : v / max[k % w]).ToArray();
        return new TensorDataset(f, d.SampleShape, d.Labels!);
    }

    [TestMethod]
    public void CliResumeAfterTwoEpochsEqualsFourEpochsInOneRun()
    {
        string root = Directory.CreateTempSubdirectory("cli_resume").FullName;
        try
        {
            string[] common = ["train", "--dataset", Wdbc, "--plain", "--threads", "1", "--seed", "3"];
            string a = Path.Combine(root, "a"), b = Path.Combine(root, "b"), c = Path.Combine(root, "c");
            var r = OnnxkitCli.Run([.. common, "--epochs", "2", "--out", a], 300);
            Assert.AreEqual(0, r.Code, r.Err);
            r = OnnxkitCli.Run([.. common, "--epochs", "4", "--resume", Path.Combine(a, "last.safetensors"), "--out", b], 300);
            Assert.AreEqual(0, r.Code, r.Err);
            r = OnnxkitCli.Run([.. common, "--epochs", "4", "--out", c], 300);
            Assert.AreEqual(0, r.Code, r.Err);

            var resumed = SafeTensors.Read(Path.Combine(b, "last.safetensors")).Tensors.ToDictionary(t => t.Name);
            var straight = SafeTensors.Read(Path.Combine(c, "last.safetensors")).Tensors;
            Assert.AreEqual(straight.Count, resumed.Count);
            foreach (var t in straight) CollectionAssert.AreEqual(t.Bytes, resumed[t.Name].Bytes, $"'{t.Name}' after resume");

            double[] Losses(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json"))).RootElement
                .GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("train_loss").GetDouble()).ToArray();
            CollectionAssert.AreEqual(Losses(c), Losses(b), "metrics.json of the resumed run holds all 4 epochs, as the straight run's");
            Assert.AreEqual(4, Losses(b).Length);
        }
        finally { Directory.Delete(root, true); }
    }
}
