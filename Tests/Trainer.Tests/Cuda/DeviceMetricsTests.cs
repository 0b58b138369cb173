using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using MetricCatalog = OnnxKit.Metrics;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Cuda;

/// <summary>
/// Where the model output lives on a device, a step brings back the loss and the metrics' batch sums (computed in the
/// graph) and nothing else: the metrics equal the host path's, computed from the outputs, and the bytes that cross the bus
/// per step are the batch in and these few numbers out (run on the CPU through the device-memory path).
/// </summary>
[TestClass]
public sealed class DeviceMetricsTests
{
    private static readonly TrainingSessionOptions Host = new() { IntraOpThreads = 1 };
    private static readonly TrainingSessionOptions Device = Host with { DeviceStateOnCpu = true };

    // The int64 state (the optimizer's step counter) stays in host memory beside the device-resident float state,
    // so it is read and written by every step.
    private static long Int64StateBytes(Manifest m) => m.State.Where(s => s.Type == "int64").Sum(s => 8 * s.Shape.Aggregate(1L, (a, d) => a * d));

    [TestMethod]
    public void AStepMovesTheBatchInAndOnlyTheLossAndMetricSumsOut()
    {
        var a = CudaCoverageTests.Artifacts("mlp");
        Metric[] hostMetrics = [MetricCatalog.Accuracy, MetricCatalog.TopK(3), MetricCatalog.F1(10)];
        Metric[] deviceMetrics = [MetricCatalog.Accuracy, MetricCatalog.TopK(3), MetricCatalog.F1(10)];
        using var host = new TrainingSession(a, OptimizerCatalog.Adam(1e-3), Host, hostMetrics);
        using var device = new TrainingSession(a, OptimizerCatalog.Adam(1e-3), Device, deviceMetrics);
        Assert.AreEqual((0L, 0L), (host.Traffic.ToDevice, host.Traffic.ToHost), "nothing crosses where everything is host memory");
        long int64 = Int64StateBytes(a.Manifest);
        Assert.AreEqual(8L, int64, "Adam's step counter");
        // accuracy 1 + top-3 1 + F1's 10 × 10 confusion counts, in floats
        const long sumsBytes = 4 * (1 + 1 + 100);
        var rng = new Random(11);
        foreach (int count in new[] { 64, 64, 9 })
        {
            var x = Enumerable.Range(0, count * 784).Select(_ => (float)rng.NextDouble()).ToArray();
            var y = Enumerable.Range(0, count).Select(_ => (long)rng.Next(10)).ToArray();
            long toDevice = device.Traffic.ToDevice, toHost = device.Traffic.ToHost;
            Assert.AreEqual(host.Step(x, y, count, 1e-3), device.Step(x, y, count, 1e-3), 0f);
            // In: the features, the labels, the learning rate and the step counter; out: the loss, the next step counter, the sums.
            Assert.AreEqual(count * 784 * 4L + count * 8L + 4 + int64, device.Traffic.ToDevice - toDevice, "bytes to the device");
            Assert.AreEqual(4 + int64 + sumsBytes, device.Traffic.ToHost - toHost, "bytes to the host");
            host.UpdateMetrics(hostMetrics, y, count);
            device.UpdateMetrics(deviceMetrics, y, count);
            Assert.AreEqual(4 + int64 + sumsBytes, device.Traffic.ToHost - toHost, "the metrics are updated from the sums, without the outputs");
            for (int i = 0; i < hostMetrics.Length; i++)
                Assert.AreEqual(hostMetrics[i].Result(), deviceMetrics[i].Result(), 0, $"{hostMetrics[i].Name} after a batch of {count}");
            // Reading the outputs is what would cost the logits: the counter sees it.
            _ = device.LastOutput;
            Assert.AreEqual(4 + int64 + sumsBytes + count * 10 * 4L, device.Traffic.ToHost - toHost, "reading the outputs copies them");
        }
        Assert.IsTrue(hostMetrics[0].Result() is > 0 and < 1);

        // A checkpoint copies the float state down once, when it is written.
        long floatState = a.InitialState.Values.Where(t => t.Type == IR.ElementType.Float32).Sum(t => (long)t.Bytes.Length);
        string ck = Path.Combine(Path.GetTempPath(), $"device-metrics-{Guid.NewGuid():N}.safetensors");
        try
        {
            long before = device.Traffic.ToHost;
            device.SaveCheckpoint(ck);
            Assert.AreEqual(floatState, device.Traffic.ToHost - before, "the checkpoint reads the float state once");
        }
        finally { File.Delete(ck); }

        // Evaluation: the batch in, the loss and the sums out (it reads no int64 state).
        var ex = Enumerable.Range(0, 32 * 784).Select(i => (i % 13) / 13f).ToArray();
        var ey = Enumerable.Range(0, 32).Select(i => (long)(i % 10)).ToArray();
        long d0 = device.Traffic.ToDevice, h0 = device.Traffic.ToHost;
        foreach (var m in hostMetrics.Concat(deviceMetrics)) m.Reset();
        Assert.AreEqual(host.Evaluate(ex, ey, 32), device.Evaluate(ex, ey, 32), 0f);
        Assert.AreEqual((32 * 784 * 4L + 32 * 8L, 4 + sumsBytes), (device.Traffic.ToDevice - d0, device.Traffic.ToHost - h0));
        host.UpdateMetrics(hostMetrics, ey, 32);
        device.UpdateMetrics(deviceMetrics, ey, 32);
        for (int i = 0; i < hostMetrics.Length; i++) Assert.AreEqual(hostMetrics[i].Result(), deviceMetrics[i].Result(), 0, hostMetrics[i].Name);
    }

    [TestMethod]
    public void FitOnTheDevicePathReportsTheHostPathsMetricsWithoutFetchingOutputs()
    {
        var rng = new Random(2);
        int n = 150;
        var features = Enumerable.Range(0, n * 20).Select(_ => (float)rng.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => (long)((features[i * 20] + features[i * 20 + 1]) * 2.4)).ToArray();   // 5 classes
        var data = new TensorDataset(features, [20], labels);
        var (train, validation) = (data.Subset([.. Enumerable.Range(0, 120)]), data.Subset([.. Enumerable.Range(120, 30)]));
        Learner NewLearner(TrainingSessionOptions o) => new(new Sequential(new Dense(16, Activation.Tanh), new Dense(5)) { Seed = 4 },
            OptimizerCatalog.Adam(1e-2), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true),
            [MetricCatalog.Accuracy, MetricCatalog.TopK(2), MetricCatalog.Precision(5)], o);
        var fit = new FitOptions { Epochs = 2, BatchSize = 32, Validation = validation, Seed = 3 };
        using var host = NewLearner(Host);
        using var device = NewLearner(Device);
        var hh = host.Fit(train, fit);
        var dh = device.Fit(train, fit);
        for (int e = 0; e < 2; e++)
            foreach (var name in new[] { "accuracy", "top2", "precision" })
            {
                Assert.AreEqual(hh.Epochs[e].TrainMetrics[name], dh.Epochs[e].TrainMetrics[name], 0, $"epoch {e + 1} train {name}");
                Assert.AreEqual(hh.Epochs[e].ValMetrics[name], dh.Epochs[e].ValMetrics[name], 0, $"epoch {e + 1} validation {name}");
            }
        Assert.IsTrue(dh.Epochs[1].TrainMetrics["accuracy"] > 0.3, "it learns");

        // 120 training rows in steps of 32, 32, 32, 24; 30 validation rows in one batch (the step's rows, 32), per epoch.
        var s = device.Session!;
        long int64 = Int64StateBytes(s.Manifest);
        long perStep = 4 + int64 + 4 * (1 + 1 + 25), perEval = 4 + 4 * (1 + 1 + 25 + 25);   // + Evaluate's own 5 × 5 confusion counts
        long initialState = device.Artifacts!.InitialState.Values.Where(t => t.Type == IR.ElementType.Float32).Sum(t => (long)t.Bytes.Length);
        Assert.AreEqual(2 * (4 * perStep + perEval), s.Traffic.ToHost, "loss, step counter and sums per step; loss and sums per validation batch");
        Assert.AreEqual(initialState + 2 * (120 * (20 * 4 + 8) + 4 * (4 + int64) + 30 * (20 * 4 + 8)), s.Traffic.ToDevice,
            "the initial state once, then the batches, learning rates and step counters");

        // Evaluate's confusion matrix is counted in the graph too, and equals the host's.
        var hc = host.Evaluate(data, 64).Confusion!;
        var dc = device.Evaluate(data, 64).Confusion!;
        CollectionAssert.AreEqual(hc.Counts, dc.Counts);
        Assert.AreEqual(n, dc.Counts.Cast<long>().Sum());
    }

    [TestMethod]
    public void RegressionErrorsAndOutOfRangeClassesBehaveAsOnTheHost()
    {
        // MSE/MAE as float32 sums in the graph against the host's float64 sums.
        var model = new Sequential(new Dense(3)) { Seed = 1 };
        var type = new IR.TensorType(IR.ElementType.Float32, new IR.Shape([IR.Dim.Sym("batch"), IR.Dim.Of(5)]));
        var a = TrainingArtifacts.Create(model, type, LossCatalog.MeanSquaredError(), OptimizerCatalog.Sgd(0.1));
        Metric[] hm = [MetricCatalog.MeanSquaredError, MetricCatalog.MeanAbsoluteError], dm = [MetricCatalog.MeanSquaredError, MetricCatalog.MeanAbsoluteError];
        using var host = new TrainingSession(a, OptimizerCatalog.Sgd(0.1), Host, hm);
        using var device = new TrainingSession(a, OptimizerCatalog.Sgd(0.1), Device, dm);
        var rng = new Random(8);
        var x = Enumerable.Range(0, 12 * 5).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 12 * 3).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        host.Step(x, y, 12, 0.1); device.Step(x, y, 12, 0.1);
        long toHost = device.Traffic.ToHost;
        host.UpdateMetrics(hm, y, 12); device.UpdateMetrics(dm, y, 12);
        Assert.AreEqual(toHost, device.Traffic.ToHost);
        for (int i = 0; i < 2; i++) Assert.AreEqual(hm[i].Result(), dm[i].Result(), 1e-6 * hm[i].Result(), hm[i].Name);
        Assert.IsTrue(hm[0].Result() > 0.1);

        // Precision over 3 classes of a 10-way output: a predicted class of 3..9 is refused, on the device as on the host.
        var c = CudaCoverageTests.Artifacts("mlp");
        var hp = MetricCatalog.Precision(3); var dp = MetricCatalog.Precision(3);
        using var hs = new TrainingSession(c, OptimizerCatalog.Adam(1e-3), Host, [hp]);
        using var ds = new TrainingSession(c, OptimizerCatalog.Adam(1e-3), Device, [dp]);
        var xi = Enumerable.Range(0, 40 * 784).Select(_ => (float)rng.NextDouble()).ToArray();
        var yi = new long[40];
        hs.Evaluate(xi, yi, 40); ds.Evaluate(xi, yi, 40);
        int outside = Enumerable.Range(0, 40).Count(i => { var r = hs.LastOutput.Slice(i * 10, 10); int b = 0; for (int j = 1; j < 10; j++) if (r[j] > r[b]) b = j; return b >= 3; });
        if (outside == 0) Assert.Inconclusive("every prediction fell in 0..2; the refusal cannot be shown");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => hs.UpdateMetrics([hp], yi, 40));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ds.UpdateMetrics([dp], yi, 40));
        StringAssert.Contains(e.Message, $"{outside} of 40 samples have a target or predicted class outside 0..2");
    }
}
