using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Tests.Optimizers;

/// <summary>The optimizer graph's interface, its constants, the in-graph step scalars, and argument validation.</summary>
[TestClass]
public sealed class OptimizerContractTests
{
    private static readonly (string, long[])[] TwoParams = [("w", [2, 3]), ("b", [3])];

    [TestMethod]
    public void OptimizerGraphHasTheDocumentedInputsAndOutputs()
    {
        var opt = new Adam(amsgrad: true) { ClipGradNorm = 1.0 };
        var model = OptimizerGraph.Build(opt, TwoParams);
        var inputs = model.Graph.Inputs.Select(i => i.Name).ToArray();
        CollectionAssert.AreEquivalent(new[]
        {
            "lr", "optimizer.step",
            "w", "w.grad", "w.exp_avg_scaled", "w.exp_avg_sq_scaled", "w.max_exp_avg_sq_scaled",
            "b", "b.grad", "b.exp_avg_scaled", "b.exp_avg_sq_scaled", "b.max_exp_avg_sq_scaled",
        }, inputs);
        CollectionAssert.AreEquivalent(new[]
        {
            "w.next", "w.exp_avg_scaled.next", "w.exp_avg_sq_scaled.next", "w.max_exp_avg_sq_scaled.next",
            "b.next", "b.exp_avg_scaled.next", "b.exp_avg_sq_scaled.next", "b.max_exp_avg_sq_scaled.next", "optimizer.step.next",
        }, model.Graph.Outputs.Select(o => o.Name).ToArray());
        // The learning rate is a rank-0 float32 input, the step counter a rank-0 int64; parameters keep their shapes.
        var lr = model.Graph.Inputs.Single(i => i.Name == "lr").Type.TensorType;
        Assert.AreEqual((int)ElementType.Float32, lr.ElemType);
        Assert.AreEqual(0, lr.Shape.Dim.Count);
        var counter = model.Graph.Inputs.Single(i => i.Name == "optimizer.step").Type.TensorType;
        Assert.AreEqual((int)ElementType.Int64, counter.ElemType);
        Assert.AreEqual(0, counter.Shape.Dim.Count);
        var w = model.Graph.Inputs.Single(i => i.Name == "w").Type.TensorType;
        CollectionAssert.AreEqual(new long[] { 2, 3 }, w.Shape.Dim.Select(d => d.DimValue).ToArray());
    }

    [TestMethod]
    [DataRow(ElementType.Float32)]
    [DataRow(ElementType.Float64)]
    public void GraphConstantsHaveTheParameterElementType(ElementType type)
    {
        foreach (var opt in new Optimizer[] { new Sgd(0.1, 0.9, weightDecay: 0.1, nesterov: true) { ClipGradNorm = 1, ClipGradValue = 0.5 }, new AdamW(), new RmsProp(centered: true, momentum: 0.5), new NAdam(), new Lion(), new Adagrad(), new Adamax() })
        {
            var model = OptimizerGraph.Build(opt, TwoParams, type);
            // The per-step scalars are computed in float64 (scope step_scalars) and rounded once; the update's constants follow the parameters.
            var constantTypes = model.Graph.Nodes.Where(n => n.OpType == "Constant" && !n.Name.StartsWith("step_scalars/")).Select(n => (ElementType)n.GetTensor("value")!.DataType).Distinct().ToArray();
            // (With float64 parameters the update may reuse a step-scalar constant, identical constants being shared.)
            CollectionAssert.IsSubsetOf(constantTypes, new[] { type }, $"{opt.Name}: constant element types");
            if (type == ElementType.Float32) Assert.AreNotEqual(0, constantTypes.Length, $"{opt.Name}: the update has constants");
            foreach (var o in model.Graph.Outputs.Where(o => !o.Name.StartsWith("optimizer.")))
            {
                Assert.AreEqual((int)type, o.Type.TensorType.ElemType, $"{opt.Name}: output {o.Name}");
                Assert.IsNotNull(o.Type.TensorType.Shape, $"{opt.Name}: output {o.Name} has a shape");
            }
        }
    }

    [TestMethod]
    public void OptimizerGraphPassesTheOnnxChecker()
    {
        Python.Require("onnx");
        string dir = Directory.CreateTempSubdirectory("optim_check").FullName;
        try
        {
            var paths = new List<string>();
            foreach (var opt in new Optimizer[] { new Sgd(0.1, 0.9) { ClipGradNorm = 1 }, new Adam(amsgrad: true), new RmsProp(centered: true, momentum: 0.9), new NAdam(), new Lion() })
            {
                string path = Path.Combine(dir, $"{opt.Name}.onnx");
                OptimizerGraph.Build(opt, TwoParams, ElementType.Float64).Save(path);
                paths.Add(path);
            }
            var (code, _, err) = Python.RunCode("import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n".Replace("sys.argv[1:]", "[" + string.Join(",", paths.Select(p => $"'{p}'")) + "]"));
            Assert.AreEqual(0, code, err);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void SgdMomentumGradScaleStartsTheBufferAtTheGradient()
    {
        var sgd = new Sgd(0.5, momentum: 0.9, dampening: 0.25);
        var model = OptimizerGraph.Build(sgd, [("p", [2])]);
        // Step 1 by hand: buf = g, p = p − lr·g (dampening does not apply to the first step, as in PyTorch).
        var outs = OrtRun.Run(model, HostTensor.F32("lr", [0.5f]), HostTensor.I64("optimizer.step", [0L]),
            HostTensor.F32("p", [1f, -2f], 2), HostTensor.F32("p.grad", [0.5f, 4f], 2), HostTensor.F32("p.momentum_buffer", [0f, 0f], 2));
        CollectionAssert.AreEqual(new[] { 0.75f, -4f }, outs["p.next"].Floats);
        CollectionAssert.AreEqual(new[] { 0.5f, 4f }, outs["p.momentum_buffer.next"].Floats);
        CollectionAssert.AreEqual(new[] { 1L }, (long[])outs["optimizer.step.next"].Data);
        // Step 2: buf = 0.9·buf + (1 − 0.25)·g = 0.9·[0.5, 4] + 0.75·[2, −1] = [1.95, 2.85]; p −= 0.5·buf.
        outs = OrtRun.Run(model, HostTensor.F32("lr", [0.5f]), HostTensor.I64("optimizer.step", [1L]),
            HostTensor.F32("p", [0.75f, -4f], 2), HostTensor.F32("p.grad", [2f, -1f], 2), HostTensor.F32("p.momentum_buffer", [0.5f, 4f], 2));
        Compare.Close(new[] { 1.95, 2.85 }, outs["p.momentum_buffer.next"].Doubles, 1e-6, 1e-6, "buffer after step 2");
        Compare.Close(new[] { 0.75 - 0.975, -4 - 1.425 }, outs["p.next"].Doubles, 1e-6, 1e-6, "parameter after step 2");
    }

    [TestMethod]
    public void AdamStepScalarsAreTheBiasCorrections()
    {
        // β₁ = 0.5, β₂ = 0.75, step 2, lr 0.3, g = 1 both steps from zero moments: PyTorch's m̂ = 1, v̂ = 1, so the step is
        // lr·m̂/(√v̂ + ε) = 0.3 exactly (up to ε) — the graph's bias corrections, computed from its step counter, must give it.
        var adam = new Adam(0.3, beta1: 0.5, beta2: 0.75);
        var model = OptimizerGraph.Build(adam, [("p", [1])]);
        // After step 1 with g = 1: scaled moments m̃ = g = 1, ṽ = g² = 1.
        var outs = OrtRun.Run(model, HostTensor.F32("lr", [0.3f]), HostTensor.I64("optimizer.step", [1L]), HostTensor.F32("p", [2f], 1),
            HostTensor.F32("p.grad", [1f], 1), HostTensor.F32("p.exp_avg_scaled", [1f], 1), HostTensor.F32("p.exp_avg_sq_scaled", [1f], 1));
        Assert.AreEqual(2 - 0.3, outs["p.next"].Doubles[0], 1e-6);
        var adamw = new AdamW(0.3, weightDecay: 0.1);
        var w = OrtRun.Run(OptimizerGraph.Build(adamw, [("p", [1])]), HostTensor.F32("lr", [0.3f]), HostTensor.I64("optimizer.step", [4L]),
            HostTensor.F32("p", [2f], 1), HostTensor.F32("p.grad", [0f], 1), HostTensor.F32("p.exp_avg_scaled", [0f], 1), HostTensor.F32("p.exp_avg_sq_scaled", [0f], 1));
        Assert.AreEqual(2 * (1 - 0.3 * 0.1), w["p.next"].Doubles[0], 1e-6, "decoupled decay p·(1 − lr·λ) with a zero gradient");
    }

    [TestMethod]
    public void MissingStepScalarIsNamed()
    {
        var g = new GraphBuilder("t");
        var p = g.Input("p", ElementType.Float32, 2);
        var adam = new Adam();
        var e = Assert.Throws<ArgumentException>(() => adam.Update(g, p, p, [p, p], new Dictionary<string, Value>()));
        StringAssert.Contains(e.Message, "eps_scaled");
        var e2 = Assert.Throws<ArgumentException>(() => adam.Update(g, p, p, [p], new Dictionary<string, Value>()));
        StringAssert.Contains(e2.Message, "exp_avg_sq");
    }

    public static IEnumerable<object[]> BadArguments =>
    [
        ["lr", (Func<object>)(() => new Sgd(0))],
        ["lr", (Func<object>)(() => new Adam(-1e-3))],
        ["lr", (Func<object>)(() => new Lion(double.NaN))],
        ["betas[0]", (Func<object>)(() => new Adam(beta1: 1.0))],
        ["betas[1]", (Func<object>)(() => new AdamW(beta2: -0.1))],
        ["betas[0]", (Func<object>)(() => new NAdam(beta1: 1.5))],
        ["betas[1]", (Func<object>)(() => new Adamax(beta2: 1.0))],
        ["betas[1]", (Func<object>)(() => new Lion(beta2: 1.0))],
        ["alpha", (Func<object>)(() => new RmsProp(alpha: 1.0))],
        ["weight_decay", (Func<object>)(() => new Sgd(0.1, weightDecay: -0.1))],
        ["weight_decay", (Func<object>)(() => new Adam(weightDecay: -1e-4))],
        ["weight_decay", (Func<object>)(() => new Lion(weightDecay: -1))],
        ["weight_decay", (Func<object>)(() => new Adagrad(weightDecay: -1))],
        ["momentum", (Func<object>)(() => new Sgd(0.1, momentum: -0.9))],
        ["nesterov", (Func<object>)(() => new Sgd(0.1, momentum: 0.9, dampening: 0.1, nesterov: true))],
        ["nesterov", (Func<object>)(() => new Sgd(0.1, nesterov: true))],
        ["eps", (Func<object>)(() => new Adam(eps: -1e-8))],
        ["initial_accumulator_value", (Func<object>)(() => new Adagrad(initialAccumulatorValue: -0.1))],
        ["ClipGradNorm", (Func<object>)(() => new Adam { ClipGradNorm = 0 })],
        ["ClipGradValue", (Func<object>)(() => new Adam { ClipGradValue = -1 })],
    ];

    [TestMethod]
    [DynamicData(nameof(BadArguments))]
    public void BadArgumentIsRejectedByName(string argument, Func<object> make)
    {
        var e = Assert.Throws<ArgumentException>(() => make());
        Assert.AreEqual(argument, e.ParamName);
        StringAssert.Contains(e.Message, argument);
    }

    [TestMethod]
    public void BadParameterListsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => OptimizerGraph.Build(new Sgd(0.1), []));
        var dup = Assert.Throws<ArgumentException>(() => OptimizerGraph.Build(new Sgd(0.1), [("w", [2]), ("w", [2])]));
        StringAssert.Contains(dup.Message, "'w'");
        var type = Assert.Throws<ArgumentException>(() => OptimizerGraph.Build(new Sgd(0.1), [("w", [2])], ElementType.Int64));
        StringAssert.Contains(type.Message, "float32 or float64");
    }
}
