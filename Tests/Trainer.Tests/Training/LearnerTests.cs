using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;
using MetricCatalog = OnnxKit.Metrics;

namespace OnnxKit.Tests.TrainingLoop;

[TestClass]
public sealed class LearnerTests
{
    private static DatasetSplits? _fashion;
    private static DatasetSplits Fashion => _fashion ??= Datasets.FashionMnist(download: false);

    private static TensorDataset Take(TensorDataset d, int n) => d.Subset(Enumerable.Range(0, n).ToArray());

    [TestMethod]
    public void SeedMlpLearnsFashionMnist()
    {
        // The seed example on a tenth of the data for two epochs: well above chance (0.1) and the loss falls.
        var model = new Sequential(new Flatten(), new Dense(128, Activation.Relu), new Dropout(0.2), new Dense(10));
        using var learner = new Learner(model, OptimizerCatalog.Adam(1e-3), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), [MetricCatalog.Accuracy]);
        var history = learner.Fit(Take(Fashion.Train, 6000), new FitOptions { Epochs = 2, BatchSize = 64, Validation = Take(Fashion.Test, 2000) });
        Assert.AreEqual(2, history.Epochs.Count);
        Assert.IsTrue(history.Epochs[1].TrainLoss < history.Epochs[0].TrainLoss, "training loss falls");
        Assert.IsTrue(history.Epochs[1].ValMetrics["accuracy"] > 0.70, $"validation accuracy {history.Epochs[1].ValMetrics["accuracy"]}");
        // Evaluate agrees with an independent recomputation from Predict.
        var test = Take(Fashion.Test, 500);
        var ev = learner.Evaluate(test, 128);
        var outputs = learner.Predict(test, 100);
        int correct = 0;
        for (int i = 0; i < test.Count; i++)
        {
            var row = outputs.AsSpan(i * 10, 10);
            int best = 0; for (int j = 1; j < 10; j++) if (row[j] > row[best]) best = j;
            if (best == test.Labels![i]) correct++;
        }
        Assert.AreEqual(correct / 500.0, ev.Metrics["accuracy"], 1e-12);
        // The exported model (inference behaviour) reproduces Predict.
        string dir = Directory.CreateTempSubdirectory("learner").FullName;
        try
        {
            learner.Export(Path.Combine(dir, "model.onnx"));
            var ort = OrtRun.RunFile(Path.Combine(dir, "model.onnx"), HostTensor.F32("input", test.Features[..(10 * 784)], [10, .. test.SampleShape.Select(d => (long)d)]));
            Compare.Close(outputs[..100], ort["output"].Floats, 1e-5);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static Learner NewDeterministicLearner(int seed) =>
        new(new Sequential(new Flatten(), new Dense(32, Activation.Tanh), new Dense(10)) { Seed = seed },
            OptimizerCatalog.Adam(2e-3), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), [MetricCatalog.Accuracy],
            new TrainingSessionOptions { IntraOpThreads = 1 });

    [TestMethod]
    public void ResumedRunEndsWithBitwiseTheSameWeights()
    {
        var data = Take(Fashion.Train, 1000);
        string dir = Directory.CreateTempSubdirectory("resume").FullName;
        try
        {
            using var straight = NewDeterministicLearner(3);
            straight.Fit(data, new FitOptions { Epochs = 3, BatchSize = 100, Seed = 5 });
            var expected = straight.Session!.State();

            // Interrupted mid-epoch 2 (checkpoint at step 14 of 30), then resumed in a fresh learner.
            string ckpt = Path.Combine(dir, "step.safetensors");
            using (var first = NewDeterministicLearner(3))
            {
                first.Fit(data, new FitOptions { Epochs = 3, BatchSize = 100, Seed = 5, CheckpointEverySteps = 14, CheckpointPath = ckpt,
                    Callbacks = [new StopAtStep(14)] });
            }
            using var resumed = NewDeterministicLearner(3);
            resumed.Fit(data, new FitOptions { Epochs = 3, BatchSize = 100, Seed = 5, ResumeFrom = ckpt });
            var actual = resumed.Session!.State();
            Assert.AreEqual(30, resumed.Session.StepCount);
            foreach (var (name, t) in expected)
                CollectionAssert.AreEqual(t.Bytes, actual[name].Bytes, $"state '{name}' differs after resume");
        }
        finally { Directory.Delete(dir, true); }
    }

    private sealed class StopAtStep(long step) : OnnxKit.Training.Callbacks.Callback
    {
        public override void OnBatchEnd(OnnxKit.Training.Callbacks.TrainingContext ctx, long s, float loss) { if (s >= step) ctx.StopTraining = true; }
    }

    [TestMethod]
    public void ArtifactsFolderAloneTrainsInOnnxRuntimeNodeOnTheSameTrajectory()
    {
        string nodeDir = Path.Combine(Python.RepoRoot, "Tests", "node");
        if (Python.Run("node", ["--version"], 30).ExitCode != 0) Assert.Inconclusive("needs 'node' on PATH");
        if (!Directory.Exists(Path.Combine(nodeDir, "node_modules", "onnxruntime-node"))) Assert.Inconclusive($"needs onnxruntime-node: run 'npm install' in {nodeDir}");
        const int steps = 20, batch = 32;
        var data = Take(Fashion.Train, steps * batch);
        // With Dropout: the masks, drawn in the graph from the step counter, must come out the same in the other binding.
        var model = new Sequential(new Flatten(), new Dense(64, Activation.Relu), new Dropout(0.2), new Dense(10));
        var opt = OptimizerCatalog.Adam(1e-3);
        var artifacts = TrainingArtifacts.Create(model, new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 28, 28)),
            LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), opt);
        string dir = Directory.CreateTempSubdirectory("node_train").FullName;
        try
        {
            artifacts.Save(dir);
            // The script gets the folder and, per step, the batch and a learning rate (here a decaying schedule): no
            // optimizer formulas of ours.
            var lrs = Enumerable.Range(0, steps).Select(s => 2e-3 * Math.Pow(0.9, s)).ToArray();
            using var session = TrainingSession.Open(dir, opt, new TrainingSessionOptions { IntraOpThreads = 1 });
            var losses = new List<float>();
            for (int s = 0; s < steps; s++)
            {
                var x = data.Features.AsSpan(s * batch * 784, batch * 784);
                var y = data.Labels!.AsSpan(s * batch, batch).ToArray();
                losses.Add(session.Step(x, y, batch, lrs[s]));
            }
            var final = session.State();
            File.WriteAllBytes(Path.Combine(dir, "x.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Features.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, "y.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Labels!.AsSpan()).ToArray());
            File.WriteAllText(Path.Combine(dir, "run.json"), JsonSerializer.Serialize(new
            {
                steps, batch, features = Path.Combine(dir, "x.bin"), targets = Path.Combine(dir, "y.bin"), lr = lrs.Select(l => (float)l),
            }));
            string outFile = Path.Combine(dir, "node_out.json");
            var (code, _, stderr) = Python.Run("node", [Path.Combine(nodeDir, "train_step.mjs"), dir, Path.Combine(dir, "run.json"), outFile], 300);
            Assert.AreEqual(0, code, stderr);
            var result = JsonDocument.Parse(File.ReadAllText(outFile)).RootElement;
            var nodeLosses = result.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.AreEqual(steps, nodeLosses.Length);
            Assert.AreEqual(steps, result.GetProperty("step").GetInt64(), "the graph's step counter");
            Assert.AreEqual(steps, session.StepCount);
            Compare.Close(losses.Select(l => (double)l).ToArray(), nodeLosses, 0, 1e-6, "node losses vs C# losses");
            foreach (var p in result.GetProperty("state").EnumerateObject())
                Compare.Close(final[p.Name].ToFloats().Select(v => (double)v).ToArray(), p.Value.EnumerateArray().Select(e => e.GetDouble()).ToArray(),
                    1e-9, 1e-6, $"parameter '{p.Name}' after {steps} steps, node vs C#");
            Assert.IsTrue(losses[^1] < losses[0], "the loss falls over 20 steps");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void ArtifactsOpenedWithAnotherOptimizerAreRefused()
    {
        // The update rule is in the graph: opening Adam's artifacts "as SGD" would only mislabel the run.
        var model = new Sequential(new Flatten(), new Dense(4));
        var artifacts = TrainingArtifacts.Create(model, new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 2, 3)),
            LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), OptimizerCatalog.Adam(1e-3));
        string dir = Directory.CreateTempSubdirectory("optimizer_mismatch").FullName;
        try
        {
            artifacts.Save(dir);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TrainingSession.Open(dir, OptimizerCatalog.Sgd(0.1)));
            StringAssert.Contains(e.Message, "'adam'");
            StringAssert.Contains(e.Message, "sgd");
            using var ok = TrainingSession.Open(dir, OptimizerCatalog.Adam(1e-3));
            Assert.AreEqual(0, ok.StepCount);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void BadInputGivesClearErrors()
    {
        var data = Take(Fashion.Train, 100);
        using var learner = NewDeterministicLearner(0);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => learner.Fit(data, new FitOptions { BatchSize = 0 }));
        StringAssert.Contains(e.Message, "batchSize");
        var frozen = new Sequential(new Dense(4, inFeatures: 784)).Freeze();
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => TrainingArtifacts.Create(frozen,
            new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 784)), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), OptimizerCatalog.Sgd(0.1)));
        StringAssert.Contains(ex.Message, "frozen");
        // A checkpoint of another model is refused naming the missing tensor.
        string dir = Directory.CreateTempSubdirectory("badckpt").FullName;
        try
        {
            string p = Path.Combine(dir, "other.safetensors");
            SafeTensors.Write(p, [NamedTensor.FromFloats("something.else", [1f], [1])]);
            learner.Build(data.SampleShape);
            var ce = Assert.ThrowsExactly<InvalidDataException>(() => learner.RestoreCheckpoint(p));
            StringAssert.Contains(ce.Message, "1.weight");
            // A truncated checkpoint names the file.
            File.WriteAllBytes(p, [1, 2, 3]);
            var te = Assert.ThrowsExactly<InvalidDataException>(() => learner.RestoreCheckpoint(p));
            StringAssert.Contains(te.Message, p);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// A batch of one sample gives BatchNorm1d one value per channel: PyTorch raises; here the running variance turned
    /// NaN silently (var·n/(n − 1) = 0/0). Fit now refuses such batches before any step, and trains with drop-last; a
    /// BatchNorm2d (many values per channel per sample) is unaffected.
    /// </summary>
    [TestMethod]
    public void BatchOfOneSampleIsRefusedForBatchNormOverFeatures()
    {
        var rnd = new Random(1);
        var data = new TensorDataset(Enumerable.Range(0, 129 * 4).Select(_ => (float)rnd.NextDouble()).ToArray(), [4],
            Enumerable.Range(0, 129).Select(i => (long)(i % 3)).ToArray());
        using (var learner = new Learner(new Sequential(new Dense(8), new BatchNorm1d(8), new Dense(3)), OptimizerCatalog.Sgd(0.01), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true)))
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => learner.Fit(data, new FitOptions { Epochs = 1, BatchSize = 128 }));
            StringAssert.Contains(e.Message, "BatchNorm1d '1' needs more than one value per channel");
            StringAssert.Contains(e.Message, "129 samples in batches of 128");
            learner.Fit(data, new FitOptions { Epochs = 1, BatchSize = 128, DropLast = true });
            foreach (var (name, t) in learner.Session!.State().Where(kv => kv.Value.Type == ElementType.Float32))
                Assert.IsTrue(t.ToFloats().All(float.IsFinite), $"state '{name}' is finite after training with drop-last");
            // A hand-written loop gets the same guard from the manifest.
            Assert.AreEqual(2, learner.Artifacts!.Manifest.MinTrainingBatch);
            var (features, targets) = learner.Session.InputBuffers(1);
            features.AsSpan().Fill(0.5f);
            var se = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => learner.Session.Step(1, 0.01));
            StringAssert.Contains(se.Message, "batches of at least 2 samples");
        }
        var images = new TensorDataset(Enumerable.Range(0, 5 * 16).Select(_ => (float)rnd.NextDouble()).ToArray(), [1, 4, 4],
            Enumerable.Range(0, 5).Select(i => (long)(i % 2)).ToArray());
        using var conv = new Learner(new Sequential(new Conv2d(1, 2, 3, padding: 1), new BatchNorm2d(2), new Flatten(), new Dense(2)),
            OptimizerCatalog.Sgd(0.01), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true));
        conv.Fit(images, new FitOptions { Epochs = 1, BatchSize = 4 }); // last batch of 1 image: 16 values per channel
        Assert.AreEqual(1, conv.Artifacts!.Manifest.MinTrainingBatch);
        foreach (var (name, t) in conv.Session!.State().Where(kv => kv.Value.Type == ElementType.Float32))
            Assert.IsTrue(t.ToFloats().All(float.IsFinite), $"state '{name}' is finite");
    }

    private sealed class LearningRateRecorder : OnnxKit.Training.Callbacks.Callback
    {
        public List<(long Step, double Lr)> Seen { get; } = [];
        public override void OnBatchEnd(OnnxKit.Training.Callbacks.TrainingContext ctx, long step, float loss) => Seen.Add((step, ctx.LearningRate));
    }

    [TestMethod]
    public void PerStepScheduleGetsOneBasedStepsFromTheFirstBatch()
    {
        // 40 samples in batches of 8: 5 steps per epoch, 10 in all; one-cycle over exactly those 10 steps.
        var data = Take(Fashion.Train, 40);
        var schedule = new OnnxKit.Training.Schedules.OneCycleLR(0.01, 10);
        var recorder = new LearningRateRecorder();
        using var learner = new Learner(new Sequential(new Flatten(), new Dense(10)), OptimizerCatalog.Sgd(0.01), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true));
        var history = learner.Fit(data, new FitOptions { Epochs = 2, BatchSize = 8, Schedule = schedule, Callbacks = [recorder] });
        CollectionAssert.AreEqual(Enumerable.Range(1, 10).Select(i => (long)i).ToArray(), recorder.Seen.Select(x => x.Step).ToArray());
        for (int i = 0; i < 10; i++)
            Assert.AreEqual(schedule.LearningRate(i + 1, i / 5), recorder.Seen[i].Lr, 1e-15, $"step {i + 1}");
        // torch.optim.lr_scheduler.OneCycleLR starts at max_lr / div_factor (25) and ends at that / final_div_factor (1e4).
        Assert.AreEqual(0.01 / 25, recorder.Seen[0].Lr, 1e-12);
        Assert.AreEqual(0.01 / 25 / 1e4, recorder.Seen[^1].Lr, 1e-12);
        Assert.AreEqual(recorder.Seen[^1].Lr, history.Epochs[^1].LearningRate, 1e-15);
    }
}
