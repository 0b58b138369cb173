using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using OnnxKit.Training.Session.Lowering.HostUpdate;
using OnnxKit.Tests.Distributed;
using LossCatalog = OnnxKit.Losses;

namespace OnnxKit.Tests.Optimizers;

/// <summary>
/// <see cref="TrainingSessionOptions.HostOptimizerUpdate"/>: the host form of each element-wise optimizer, read from its
/// ONNX graph, gives the bits ONNX Runtime gives for that graph (compiled SIMD loop and chunked interpreter alike, over
/// three steps with the step counter and shared state carried); Fit with it follows the fused train step; optimizers it
/// cannot read keep the fused step.
/// </summary>
[TestClass]
public sealed class HostOptimizerUpdateTests
{
    // Odd length: the compiled loop's whole vectors and the interpreter's tail both run; over one chunk: two chunks.
    private const int Length = 1031;

    public static IEnumerable<object[]> Optimizers() =>
    [
        ["adam", new Func<Optimizer>(() => new Adam(1e-2, weightDecay: 0.1))],
        ["adam-amsgrad", new Func<Optimizer>(() => new Adam(1e-2, amsgrad: true))],
        ["adamw", new Func<Optimizer>(() => new AdamW(1e-2))],
        ["sgd", new Func<Optimizer>(() => new Sgd(0.1))],
        ["nesterov-dampened", new Func<Optimizer>(() => new Sgd(0.1, momentum: 0.9, dampening: 0.2, weightDecay: 0.01, nesterov: false))],
        ["nesterov", new Func<Optimizer>(() => new Sgd(0.1, momentum: 0.9, nesterov: true))],
        ["rmsprop-centered", new Func<Optimizer>(() => new RmsProp(1e-2, centered: true, momentum: 0.5))],
        ["adagrad", new Func<Optimizer>(() => new Adagrad(1e-2, lrDecay: 0.01, weightDecay: 0.1))],
        ["adamax", new Func<Optimizer>(() => new Adamax())],
        ["nadam", new Func<Optimizer>(() => new NAdam())],
        ["lion", new Func<Optimizer>(() => new Lion(1e-3, weightDecay: 0.1))],
        ["adam-clip-value", new Func<Optimizer>(() => new Adam(1e-2) { ClipGradValue = 0.3 })],
    ];

    [TestMethod]
    [DynamicData(nameof(Optimizers))]
    public void TheHostUpdateGivesOnnxRuntimesBitsForTheSameGraph(string name, Func<Optimizer> make)
    {
        var optimizer = make();
        var graph = OptimizerGraph.Build(optimizer, [("p", [Length])]);
        var compiled = FusedUpdate.TryCreate(optimizer, compile: true, out var why) ?? throw new AssertFailedException($"{name}: {why}");
        var interpreted = FusedUpdate.TryCreate(optimizer, compile: false, out why) ?? throw new AssertFailedException($"{name}: {why}");
        Assert.IsFalse(interpreted.Elements.Compiled);

        var rng = new Random(7);
        float[] Draw(double scale, bool positive) => Enumerable.Range(0, Length)
            .Select(_ => (float)((positive ? rng.NextDouble() + 0.05 : rng.NextDouble() - 0.5) * scale)).ToArray();
        var param = Draw(2, false);
        // Slots start at values a run reaches (second moments positive and above the squared first moments).
        var slots = optimizer.Slots.Select(s => s.Name.Contains("sq") || s.Name.Contains("sum") || s.Name.Contains("square") || s.Name == "exp_inf"
            ? Draw(1, true) : Draw(0.1, false)).ToArray();
        var state = new (double D, long L)[compiled.StateNames.Count];
        state[0] = (0, 4);
        for (int k = 1; k < state.Length; k++) state[k] = (optimizer.SharedSlots[k - 1].InitialValue, 0);

        for (int step = 0; step < 3; step++)
        {
            var grad = Draw(1, false);
            float lr = 0.01f * (step + 1);
            var inputs = new List<HostTensor> { HostTensor.F32("lr", [lr]), HostTensor.I64(Optimizer.StepCounterName, [state[0].L]),
                HostTensor.F32("p", param, Length), HostTensor.F32("p.grad", grad, Length) };
            for (int k = 1; k < state.Length; k++) inputs.Add(HostTensor.F32(compiled.StateNames[k], [(float)state[k].D]));
            for (int k = 0; k < slots.Length; k++) inputs.Add(HostTensor.F32($"p.{optimizer.Slots[k].Name}", slots[k], Length));
            var expected = OrtRun.Run(graph, [.. inputs]);

            foreach (var (update, form) in new[] { (compiled, "compiled"), (interpreted, "interpreted") })
            {
                var (outputs, nextState) = RunHost(update, lr, state, param, grad, slots);
                AssertBits(expected["p.next"].Floats, outputs[0], $"{name} ({form}), step {step}: parameter");
                for (int k = 0; k < slots.Length; k++)
                    AssertBits(expected[$"p.{optimizer.Slots[k].Name}.next"].Floats, outputs[1 + k], $"{name} ({form}), step {step}: slot {optimizer.Slots[k].Name}");
                Assert.AreEqual(((long[])expected[Optimizer.StepCounterName + ".next"].Data)[0], nextState[0].L, $"{name} ({form}): step counter");
                for (int k = 1; k < state.Length; k++)
                    Assert.AreEqual(expected[compiled.StateNames[k] + ".next"].Floats[0], (float)nextState[k].D, $"{name} ({form}): {compiled.StateNames[k]}");
            }
            param = expected["p.next"].Floats;
            slots = optimizer.Slots.Select(s => expected[$"p.{s.Name}.next"].Floats).ToArray();
            state[0] = (0, ((long[])expected[Optimizer.StepCounterName + ".next"].Data)[0]);
            for (int k = 1; k < state.Length; k++) state[k] = (expected[compiled.StateNames[k] + ".next"].Floats[0], 0);
        }
    }

    private static (float[][] Outputs, (double D, long L)[] NextState) RunHost(FusedUpdate update, float lr, (double D, long L)[] state, float[] param, float[] grad, float[][] slots)
    {
        var scalars = new float[update.ElementScalarSlots.Length];
        var next = new (double D, long L)[state.Length];
        update.EvaluateStep(update.Scalars.NewSlots(), lr, state, scalars, next);
        var arrays = new[] { param, grad }.Concat(slots).ToArray();
        var outputs = Enumerable.Range(0, update.Elements.OutputCount).Select(_ => new float[Length]).ToArray();
        var handles = arrays.Concat(outputs).Select(a => System.Runtime.InteropServices.GCHandle.Alloc(a, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            var ins = handles.Take(arrays.Length).Select(h => h.AddrOfPinnedObject()).ToArray();
            var outs = handles.Skip(arrays.Length).Select(h => h.AddrOfPinnedObject()).ToArray();
            // Two calls over the two halves: a range that starts inside a tensor reads and writes at its offset.
            var scratch = update.Elements.NewScratch();
            update.Elements.Run(scalars, ins, outs, 0, 517, scratch);
            update.Elements.Run(scalars, ins, outs, 517, Length - 517, scratch);
        }
        finally { foreach (var h in handles) h.Free(); }
        return (outputs, next);
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R} on the host, {expected[i]:R} from ONNX Runtime");
    }

    [TestMethod]
    public void UpdatesItCannotReadKeepTheFusedStepAndSayWhy()
    {
        Assert.IsNull(FusedUpdate.TryCreate(new Adam(1e-3) { ClipGradNorm = 1 }, out var why));
        StringAssert.Contains(why, "gradient-norm clipping");
        Assert.IsNull(FusedUpdate.TryCreate(new NotElementwiseAdam(), out why));
        StringAssert.Contains(why, "element by element");
    }

    private sealed class NotElementwiseAdam() : Adam(0.1)
    {
        public override bool UpdatesElementwise => false;
    }

    private static (Dictionary<string, float[]> State, TimeSpan SplitCompute, Dictionary<string, float[]> Initial) Fit(Optimizer optimizer, bool hostUpdate, int threads, int batchThreads = 1)
    {
        var model = new Sequential(new Dense(64, Activation.Relu), new Dropout(0.25), new Dense(DistributedWorker.Classes)) { Seed = 3 };
        using var learner = new Learner(model, optimizer, LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), [],
            new TrainingSessionOptions { IntraOpThreads = threads, BatchThreads = batchThreads, HostOptimizerUpdate = hostUpdate });
        var data = DistributedWorker.Data();
        learner.Build(data.SampleShape);
        var initial = Trajectories.FloatState(learner);
        learner.Fit(data, new FitOptions { Epochs = 2, BatchSize = 30, Seed = 1 });
        return (Trajectories.FloatState(learner), learner.SplitStepTimes.Compute, initial);
    }

    [TestMethod]
    [DataRow("adam")]
    [DataRow("sgd")]
    public void FitWithTheHostUpdateFollowsTheFusedTrainStep(string optimizer)
    {
        // 320 samples in batches of 30 (the last one 20), Dropout: 22 steps on one thread. (Over several threads the
        // host update is checked bit for bit against ONNX Runtime's in BatchThreadsTests.)
        Optimizer Make() => optimizer == "adam" ? new Adam(1e-2) : new Sgd(0.2);
        var (fused, fusedSplit, initial) = Fit(Make(), hostUpdate: false, threads: 1);
        var (host, hostSplit, _) = Fit(Make(), hostUpdate: true, threads: 1);
        Assert.AreEqual(TimeSpan.Zero, fusedSplit, "without the host update Fit runs the fused train step");
        Assert.IsTrue(hostSplit > TimeSpan.Zero, "with it Fit runs the gradient graph and the host update");
        Trajectories.AssertFollows(fused, host, initial, 1e-6, "with the host update");
    }

    [TestMethod]
    public void AnOptimizerTheHostCannotReadTrainsOnTheFusedStep()
    {
        var (_, split, _) = Fit(new Adam(1e-2) { ClipGradNorm = 0.5 }, hostUpdate: true, threads: 1);
        Assert.AreEqual(TimeSpan.Zero, split, "gradient-norm clipping keeps the fused train step");
    }

    [TestMethod]
    public void SeveralRuntimeThreadsOnOneBatchKeepTheFusedStep()
    {
        // Two ONNX Runtime threads on the whole batch: the fused step (measured faster there than gradients + host update).
        var (_, split, _) = Fit(new Adam(1e-2), hostUpdate: true, threads: 2, batchThreads: 1);
        Assert.AreEqual(TimeSpan.Zero, split);
        Assert.IsFalse(new TrainingSessionOptions { IntraOpThreads = 2 }.RunsUpdateOnHost);
        Assert.IsTrue(new TrainingSessionOptions { IntraOpThreads = 2, BatchThreads = 2 }.RunsUpdateOnHost);
        Assert.IsFalse(new TrainingSessionOptions { IntraOpThreads = 1, HostOptimizerUpdate = false }.RunsUpdateOnHost);
    }
}
