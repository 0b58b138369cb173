using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Schedules;

namespace OnnxKit.Tests.Optimizers;

/// <summary>Each schedule against torch.optim.lr_scheduler 1.13 over 30 advances (≤ 1e-9 relative), and state round trips.</summary>
[TestClass]
public sealed class ScheduleReferenceTests
{
    private const int N = 30;
    private const int StepsPerEpoch = 4;

    private sealed record Case(string Name, Func<ILearningRateSchedule> Make, string TorchClass, object TorchArgs, double Lr = 0.1,
        (double StartFactor, int TotalIters)? Warmup = null, double[]? Metrics = null);

    /// <summary>A loss-like metric that falls, stalls, wobbles and falls again (drives the plateau logic through every branch).</summary>
    private static readonly double[] LossMetrics = Enumerable.Range(0, N).Select(t => t < 5 ? 1.0 - 0.1 * t : t < 14 ? 0.6 + 0.001 * (t % 3) : t < 18 ? 0.5 - 0.01 * t : 0.4).ToArray();
    private static readonly double[] AccuracyMetrics = Enumerable.Range(0, N).Select(t => t < 6 ? 0.5 + 0.05 * t : t < 20 ? 0.75 + 0.004 * (t % 2) : 0.8).ToArray();

    private static readonly Case[] Cases =
    [
        new("step_lr", () => new StepLR(0.1, 7, 0.3), "StepLR", new { step_size = 7, gamma = 0.3 }),
        new("step_lr_per_step", () => new StepLR(0.1, 5, 0.5, ScheduleUnit.Step), "StepLR", new { step_size = 5, gamma = 0.5 }),
        new("multi_step_lr", () => new MultiStepLR(0.1, [20, 3, 8, 8], 0.5), "MultiStepLR", new { milestones = new[] { 3, 8, 8, 20 }, gamma = 0.5 }),
        new("exponential_lr", () => new ExponentialLR(0.1, 0.9), "ExponentialLR", new { gamma = 0.9 }),
        new("cosine_annealing_lr", () => new CosineAnnealingLR(0.1, 10, 1e-3), "CosineAnnealingLR", new { T_max = 10, eta_min = 1e-3 }),
        new("cosine_annealing_lr_per_step", () => new CosineAnnealingLR(0.05, 30, unit: ScheduleUnit.Step), "CosineAnnealingLR", new { T_max = 30 }, Lr: 0.05),
        new("warm_restarts", () => new CosineAnnealingWarmRestarts(0.1, 7, etaMin: 0.01), "CosineAnnealingWarmRestarts", new { T_0 = 7, eta_min = 0.01 }),
        new("warm_restarts_t_mult", () => new CosineAnnealingWarmRestarts(0.1, 3, 2, 0.001), "CosineAnnealingWarmRestarts", new { T_0 = 3, T_mult = 2, eta_min = 0.001 }),
        new("one_cycle", () => new OneCycleLR(0.2, N), "OneCycleLR", new { max_lr = 0.2, total_steps = N }),
        new("one_cycle_three_phase_linear", () => new OneCycleLR(0.2, N, 0.25, AnnealStrategy.Linear, 10, 100, threePhase: true), "OneCycleLR",
            new { max_lr = 0.2, total_steps = N, pct_start = 0.25, anneal_strategy = "linear", div_factor = 10.0, final_div_factor = 100.0, three_phase = true }),
        new("warmup_step_lr", () => new LinearWarmup(new StepLR(0.1, 6, 0.5), 4, 0.25), "StepLR", new { step_size = 6, gamma = 0.5 }, Warmup: (0.25, 4)),
        new("warmup_cosine_per_step", () => new LinearWarmup(new CosineAnnealingLR(0.1, 25, unit: ScheduleUnit.Step), 5, 0.1), "CosineAnnealingLR",
            new { T_max = 25 }, Warmup: (0.1, 5)),
        new("plateau_min", () => new ReduceLROnPlateau(0.1, factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minLr: 0.004), "ReduceLROnPlateau",
            new { mode = "min", factor = 0.5, patience = 2, threshold = 0.01, cooldown = 1, min_lr = 0.004 }, Metrics: LossMetrics),
        new("plateau_max_abs", () => new ReduceLROnPlateau(0.1, PlateauMode.Max, 0.3, 1, 0.003, ThresholdMode.Abs), "ReduceLROnPlateau",
            new { mode = "max", factor = 0.3, patience = 1, threshold = 0.003, threshold_mode = "abs" }, Metrics: AccuracyMetrics),
    ];

    private static Dictionary<string, double[]>? _reference;
    private static readonly object Gate = new();

    public static IEnumerable<object[]> CaseNames => Cases.Select(c => new object[] { c.Name });

    /// <summary>The schedule's rates over N advances, asking with the (step, epoch) pair the trainer would pass.</summary>
    private static double[] Series(ILearningRateSchedule s, double[]? metrics, int from = 0, double[]? into = null)
    {
        var lrs = into ?? new double[N];
        for (int t = from; t < N; t++)
        {
            long step = s.Unit == ScheduleUnit.Step ? t + 1 : (long)t * StepsPerEpoch + 1;
            int epoch = s.Unit == ScheduleUnit.Step ? t / StepsPerEpoch : t;
            lrs[t] = s.LearningRate(step, epoch);
            if (metrics is not null) ((ReduceLROnPlateau)s).Report(metrics[t]);
        }
        return lrs;
    }

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void MatchesTorchScheduler(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var expected = Reference()[name];
        var actual = Series(c.Make(), c.Metrics);
        Compare.Close(expected, actual, atol: 0, rtol: 1e-9, what: name);
        Assert.IsTrue(expected.Distinct().Count() > 2, $"{name}: the reference should vary over {N} advances");
    }

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void StateRoundTripResumesExactly(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var full = Series(c.Make(), c.Metrics);
        // Run half, save to JSON, restore, run the rest: the continuation must be identical.
        var half = c.Make();
        var partial = new double[N];
        var metricsHalf = c.Metrics?.Take(N / 2).ToArray();
        for (int t = 0; t < N / 2; t++)
        {
            long step = half.Unit == ScheduleUnit.Step ? t + 1 : (long)t * StepsPerEpoch + 1;
            partial[t] = half.LearningRate(step, half.Unit == ScheduleUnit.Step ? t / StepsPerEpoch : t);
            if (metricsHalf is not null) ((ReduceLROnPlateau)half).Report(metricsHalf[t]);
        }
        string json = half.State.ToJson();
        var restored = ScheduleState.FromJson(json).Restore();
        Assert.AreEqual(half.State, restored.State, $"{name}: state after JSON round trip\n{json}");
        Series(restored, c.Metrics, N / 2, partial);
        CollectionAssert.AreEqual(full, partial, $"{name}: resumed run differs from an uninterrupted one");
    }

    private static Dictionary<string, double[]> Reference()
    {
        Python.Require("torch");
        lock (Gate)
        {
            if (_reference is not null) return _reference;
            var cases = new JsonArray();
            foreach (var c in Cases)
                cases.Add(new JsonObject
                {
                    ["name"] = c.Name,
                    ["scheduler"] = c.TorchClass,
                    ["kwargs"] = JsonSerializer.SerializeToNode(c.TorchArgs),
                    ["lr"] = c.Lr,
                    ["n"] = N,
                    ["warmup"] = c.Warmup is { } w ? new JsonObject { ["start_factor"] = w.StartFactor, ["total_iters"] = w.TotalIters } : null,
                    ["metrics"] = c.Metrics is null ? null : JsonSerializer.SerializeToNode(c.Metrics),
                });
            string dir = Directory.CreateTempSubdirectory("sched_ref").FullName;
            string input = Path.Combine(dir, "cases.json"), output = Path.Combine(dir, "out.json");
            File.WriteAllText(input, cases.ToJsonString());
            Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "optim_schedules_reference.py"), input, output);
            _reference = JsonSerializer.Deserialize<Dictionary<string, double[]>>(File.ReadAllText(output))!;
            Directory.Delete(dir, true);
            return _reference;
        }
    }
}
