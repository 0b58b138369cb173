using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Tests.Optimizers;

/// <summary>
/// Each optimizer, run as <see cref="OptimizerGraph"/> on ONNX Runtime step by step (state fed back, including the
/// step counter from which the graph computes its bias corrections; only the learning rate is fed), against torch.optim 1.13 on the same gradient sequence (Lion: a NumPy transcription of the
/// paper's algorithm). Parameters are compared after every step.
/// </summary>
[TestClass]
public sealed class OptimizerReferenceTests
{
    private const int Steps = 10;
    private static readonly (string Name, long[] Shape)[] Params = [("fc.weight", [3, 4]), ("fc.bias", [4]), ("conv.weight", [2, 3, 2])];

    /// <summary>A case: the C# optimizer, the torch class and keyword arguments, clipping, element type, gradient scale.</summary>
    private sealed record Case(string Name, Func<Optimizer> Make, string TorchClass, object TorchArgs,
        double? ClipNorm = null, double? ClipValue = null, ElementType Type = ElementType.Float32, double GradScale = 1.0);

    private static readonly Case[] Cases =
    [
        new("sgd", () => new Sgd(0.1), "SGD", new { lr = 0.1 }),
        new("sgd_momentum_dampening_wd", () => new Sgd(0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01), "SGD",
            new { lr = 0.1, momentum = 0.9, dampening = 0.1, weight_decay = 0.01 }),
        new("sgd_nesterov", () => new Sgd(0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true), "SGD",
            new { lr = 0.05, momentum = 0.9, weight_decay = 1e-3, nesterov = true }),
        new("adam", () => new Adam(0.01), "Adam", new { lr = 0.01 }),
        new("adam_wd_amsgrad", () => new Adam(0.01, 0.8, 0.99, 1e-6, weightDecay: 0.1, amsgrad: true), "Adam",
            new { lr = 0.01, betas = new[] { 0.8, 0.99 }, eps = 1e-6, weight_decay = 0.1, amsgrad = true }),
        new("adamw", () => new AdamW(0.01, weightDecay: 0.1), "AdamW", new { lr = 0.01, weight_decay = 0.1 }),
        new("adamw_amsgrad", () => new AdamW(0.01, amsgrad: true), "AdamW", new { lr = 0.01, amsgrad = true }),
        new("adagrad", () => new Adagrad(0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1), "Adagrad",
            new { lr = 0.1, lr_decay = 0.01, weight_decay = 0.01, initial_accumulator_value = 0.1 }),
        new("rmsprop", () => new RmsProp(0.01), "RMSprop", new { lr = 0.01 }),
        new("rmsprop_centered_momentum_wd", () => new RmsProp(0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.9, centered: true), "RMSprop",
            new { lr = 0.01, alpha = 0.9, weight_decay = 0.01, momentum = 0.9, centered = true }),
        new("rmsprop_momentum", () => new RmsProp(0.01, momentum: 0.5), "RMSprop", new { lr = 0.01, momentum = 0.5 }),
        new("adamax", () => new Adamax(0.01, weightDecay: 0.01), "Adamax", new { lr = 0.01, weight_decay = 0.01 }),
        new("nadam", () => new NAdam(0.01, weightDecay: 0.01), "NAdam", new { lr = 0.01, weight_decay = 0.01 }),
        new("lion", () => new Lion(1e-3, weightDecay: 0.1), "Lion", new { lr = 1e-3, weight_decay = 0.1 }),
        new("sgd_momentum_clip_norm", () => new Sgd(0.1, momentum: 0.9) { ClipGradNorm = 0.5 }, "SGD",
            new { lr = 0.1, momentum = 0.9 }, ClipNorm: 0.5, GradScale: 3.0),
        new("adam_clip_value", () => new Adam(0.01) { ClipGradValue = 0.3 }, "Adam", new { lr = 0.01 }, ClipValue: 0.3),
        new("adamw_clip_value_and_norm", () => new AdamW(0.01) { ClipGradValue = 0.5, ClipGradNorm = 1.0 }, "AdamW",
            new { lr = 0.01 }, ClipNorm: 1.0, ClipValue: 0.5, GradScale: 2.0),
        new("adam_float64", () => new Adam(0.01, weightDecay: 0.01), "Adam", new { lr = 0.01, weight_decay = 0.01 }, Type: ElementType.Float64),
        new("sgd_nesterov_float64", () => new Sgd(0.05, momentum: 0.9, nesterov: true), "SGD",
            new { lr = 0.05, momentum = 0.9, nesterov = true }, Type: ElementType.Float64),
        new("adamw_amsgrad_float64", () => new AdamW(0.01, weightDecay: 0.1, amsgrad: true), "AdamW",
            new { lr = 0.01, weight_decay = 0.1, amsgrad = true }, Type: ElementType.Float64),
        new("adagrad_float64", () => new Adagrad(0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1), "Adagrad",
            new { lr = 0.1, lr_decay = 0.01, weight_decay = 0.01, initial_accumulator_value = 0.1 }, Type: ElementType.Float64),
        new("rmsprop_centered_momentum_float64", () => new RmsProp(0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.9, centered: true), "RMSprop",
            new { lr = 0.01, alpha = 0.9, weight_decay = 0.01, momentum = 0.9, centered = true }, Type: ElementType.Float64),
        new("adamax_float64", () => new Adamax(0.01, weightDecay: 0.01), "Adamax", new { lr = 0.01, weight_decay = 0.01 }, Type: ElementType.Float64),
        new("nadam_float64", () => new NAdam(0.01, weightDecay: 0.01), "NAdam", new { lr = 0.01, weight_decay = 0.01 }, Type: ElementType.Float64),
        new("sgd_momentum_clip_norm_float64", () => new Sgd(0.1, momentum: 0.9, dampening: 0.1) { ClipGradNorm = 0.5, ClipGradValue = 0.6 }, "SGD",
            new { lr = 0.1, momentum = 0.9, dampening = 0.1 }, ClipNorm: 0.5, ClipValue: 0.6, Type: ElementType.Float64, GradScale: 3.0),
        new("lion_float64", () => new Lion(1e-3, weightDecay: 0.1), "Lion", new { lr = 1e-3, weight_decay = 0.1 }, Type: ElementType.Float64),
    ];

    private static Dictionary<string, double[][][]>? _reference;
    private static readonly object Gate = new();

    public static IEnumerable<object[]> CaseNames => Cases.Select(c => new object[] { c.Name });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void MatchesTorchStepByStep(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var expected = Reference()[name];
        var actual = RunOnnx(c);
        double worstAbs = 0, worstRel = 0;
        for (int s = 0; s < Steps; s++)
            for (int p = 0; p < Params.Length; p++)
            {
                // float32: one ulp of a parameter near 0.5 is 6e-8, hence the absolute floor; float64 graphs are limited by the
                // float32 step scalars (~3e-8 relative on each scalar), far inside 1e-6.
                Compare.Close(expected[s][p], actual[s][p], atol: c.Type == ElementType.Float64 ? 1e-8 : 1e-7, rtol: 1e-6, what: $"{name}: {Params[p].Name} after step {s + 1}");
                for (int i = 0; i < expected[s][p].Length; i++)
                {
                    double e = expected[s][p][i], d = Math.Abs(e - actual[s][p][i]);
                    worstAbs = Math.Max(worstAbs, d);
                    if (Math.Abs(e) >= 1e-2) worstRel = Math.Max(worstRel, d / Math.Abs(e));
                }
            }
        Console.WriteLine($"{name}: over {Steps} steps max |diff| = {worstAbs:E2}, max relative (|p| >= 0.01) = {worstRel:E2}");
    }

    /// <summary>Initial parameters: deterministic, exactly representable in float32.</summary>
    private static double[] Init(int p, int n) => Enumerable.Range(0, n).Select(i => (double)(float)(0.5 * Math.Sin(1.3 * i + 0.7 * p + 0.1))).ToArray();

    /// <summary>The fixed gradient sequence: deterministic, of varied sign and size, exactly representable in float32.</summary>
    private static double[] Grad(int p, int step, int n, double scale) =>
        Enumerable.Range(0, n).Select(i => (double)(float)(scale * Math.Cos(0.9 * i + 1.7 * step + 0.3 * p) * (0.2 + 0.15 * ((i + step) % 5)))).ToArray();

    private static int Count(long[] shape) => (int)shape.Aggregate(1L, (a, b) => a * b);

    private static double[][][] RunOnnx(Case c)
    {
        var opt = c.Make();
        var model = OptimizerGraph.Build(opt, Params, c.Type).ToBytes();
        var values = Params.Select((p, i) => Init(i, Count(p.Shape))).ToArray();
        var state = Params.Select(p => opt.Slots.Select(s => Enumerable.Repeat((double)s.InitialValue, Count(p.Shape)).ToArray()).ToArray()).ToArray();
        var shared = OptimizerWideState(opt);
        var result = new double[Steps][][];
        for (int step = 1; step <= Steps; step++)
        {
            var feeds = new List<HostTensor> { HostTensor.F32(Optimizer.LearningRateName, [(float)opt.LearningRate]) };
            feeds.AddRange(shared);
            for (int p = 0; p < Params.Length; p++)
            {
                var (name, shape) = Params[p];
                feeds.Add(Tensor(c.Type, name, values[p], shape));
                feeds.Add(Tensor(c.Type, $"{name}.grad", Grad(p, step - 1, Count(shape), c.GradScale), shape));
                for (int s = 0; s < opt.Slots.Count; s++) feeds.Add(Tensor(c.Type, $"{name}.{opt.Slots[s].Name}", state[p][s], shape));
            }
            var outs = OrtRun.Run(model, [.. feeds]);
            shared = shared.Select(t => outs[t.Name + ".next"] with { Name = t.Name }).ToArray();
            Assert.AreEqual((long)step, ((long[])shared[0].Data)[0], "the step counter counts the steps taken");
            for (int p = 0; p < Params.Length; p++)
            {
                var name = Params[p].Name;
                Assert.AreEqual(c.Type, outs[$"{name}.next"].Type, $"{name}.next element type");
                values[p] = outs[$"{name}.next"].Doubles;
                for (int s = 0; s < opt.Slots.Count; s++) state[p][s] = outs[$"{name}.{opt.Slots[s].Name}.next"].Doubles;
            }
            result[step - 1] = values.Select(v => (double[])v.Clone()).ToArray();
        }
        return result;
    }

    /// <summary>The optimizer-wide state before the first step: the step counter at 0, then the shared slots.</summary>
    internal static HostTensor[] OptimizerWideState(Optimizer opt) =>
        [HostTensor.I64(Optimizer.StepCounterName, [0L]), .. opt.SharedSlots.Select(s => HostTensor.F32($"optimizer.{s.Name}", [s.InitialValue]))];

    private static HostTensor Tensor(ElementType type, string name, double[] data, long[] shape) =>
        type == ElementType.Float64 ? HostTensor.F64(name, data, shape) : HostTensor.F32(name, data.Select(x => (float)x).ToArray(), shape);

    /// <summary>Runs the reference script once for all cases (torch's import dominates the cost).</summary>
    private static Dictionary<string, double[][][]> Reference()
    {
        Python.Require("torch", "numpy");
        lock (Gate)
        {
            if (_reference is not null) return _reference;
            var cases = new JsonArray();
            foreach (var c in Cases)
            {
                var ps = new JsonArray();
                for (int p = 0; p < Params.Length; p++)
                {
                    var (name, shape) = Params[p];
                    int n = Count(shape);
                    ps.Add(new JsonObject
                    {
                        ["name"] = name,
                        ["shape"] = JsonSerializer.SerializeToNode(shape),
                        ["init"] = JsonSerializer.SerializeToNode(Init(p, n)),
                        ["grads"] = JsonSerializer.SerializeToNode(Enumerable.Range(0, Steps).Select(s => Grad(p, s, n, c.GradScale)).ToArray()),
                    });
                }
                cases.Add(new JsonObject
                {
                    ["name"] = c.Name,
                    ["optimizer"] = c.TorchClass,
                    ["kwargs"] = JsonSerializer.SerializeToNode(c.TorchArgs),
                    ["clip_norm"] = c.ClipNorm,
                    ["clip_value"] = c.ClipValue,
                    ["dtype"] = c.Type == ElementType.Float64 ? "float64" : "float32",
                    ["steps"] = Steps,
                    ["params"] = ps,
                });
            }
            string dir = Directory.CreateTempSubdirectory("optim_ref").FullName;
            string input = Path.Combine(dir, "cases.json"), output = Path.Combine(dir, "out.json");
            File.WriteAllText(input, cases.ToJsonString());
            Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "optim_reference.py"), input, output);
            _reference = JsonSerializer.Deserialize<Dictionary<string, double[][][]>>(File.ReadAllText(output))!;
            Directory.Delete(dir, true);
            return _reference;
        }
    }
}
