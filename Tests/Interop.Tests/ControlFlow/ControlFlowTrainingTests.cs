using OnnxKit.Interop.Import;
using OnnxKit.Interop.Transfer;
using OnnxKit.IR;
using OnnxKit.Tests.Autodiff;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Autodiff;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Tests.Interop.ControlFlow;

/// <summary>
/// Training through imported control flow: If (both branches, selected by the data), Loop with a constant trip count
/// and Scan over a known length, replayed as plain operators. The replay computes what ONNX Runtime computes with the
/// original nodes; its gradients agree with float64 central differences; and the trainability report says "trainable"
/// exactly for the models that the trainer then builds training graphs for.
/// </summary>
[TestClass]
public sealed class ControlFlowTrainingTests
{
    private static bool BuildsTrainingGraph(OnnxModel model, out string why)
    {
        why = "";
        try
        {
            var m = model.MakeTrainable();
            TrainingArtifacts.Create(m, m.InputType, OnnxKit.Losses.MeanSquaredError(), new Sgd(0.1));
            return true;
        }
        catch (Exception e) when (e is ArgumentException or GradientException or GraphBuildException) { why = e.Message; return false; }
    }

    [TestMethod]
    public void TrainabilityReportAgreesWithTheTrainerOnEveryModel()
    {
        foreach (var name in ControlFlowModels.Names)
        {
            var model = ControlFlowModels.Build(name);
            var report = TrainabilityReport.Analyze(model);
            bool builds = BuildsTrainingGraph(model, out var why);
            bool expected = ControlFlowModels.Trainable.Contains(name);
            Assert.AreEqual(expected, builds, $"{name}: training graph {(builds ? "built" : "refused: " + why)}");
            Assert.AreEqual(expected, report.IsTrainable, $"{name}: report says\n{report.Render()}");
            if (!expected) Console.WriteLine($"{name}: {report.Blockers.Single().Reason} | trainer: {why}");
        }
        var threshold = ControlFlowModels.Build("if-threshold").MakeTrainable();
        Assert.IsFalse(threshold.ImportedTensors["zero"].Trainable, "the threshold only a comparison reads stays fixed");
        Assert.IsTrue(threshold.Report.Any(l => l.Contains("stay fixed") && l.Contains("zero")), string.Join("\n", threshold.Report));
        StringAssert.Contains(TrainabilityReport.Analyze(ControlFlowModels.Build("loop-dynamic")).Blockers.Single().Reason, "trip count is not a constant");
        StringAssert.Contains(TrainabilityReport.Analyze(ControlFlowModels.Build("if-no-rule")).Blockers.Single().Reason, "'Foo'");
    }

    private static HostTensor Probe(string name, double sign)
    {
        var v = new float[] { 0.3f, -0.2f, 0.5f, 0.1f, 0.4f, 0.2f, -0.1f, 0.6f };
        return HostTensor.F32(name, v.Select(f => (float)(f * sign)).ToArray(), 2, 4);
    }

    [TestMethod]
    [DataRow("if", 1.0)]
    [DataRow("if", -1.0)]
    [DataRow("loop", 1.0)]
    [DataRow("scan", 1.0)]
    public void ReplayComputesWhatOnnxRuntimeComputesWithTheOriginalNodes(string name, double sign)
    {
        var model = ControlFlowModels.Build(name);
        var expected = OrtRun.Run(model, Probe("x", sign))["y"].Floats;
        var trainable = model.MakeTrainable();
        var replayed = OrtRun.Run(TrainingArtifacts.BuildInference(trainable, trainable.InputType), Probe(TrainingArtifacts.InputName, sign))["output"].Floats;
        Compare.Close(expected, replayed, 1e-6);
    }

    [TestMethod]
    [DataRow("if", 1.0, new[] { "w1", "w2", "a" })]
    [DataRow("if", -1.0, new[] { "w1", "w2", "a" })]
    [DataRow("loop", 1.0, new[] { "w1", "r" })]
    [DataRow("scan", 1.0, new[] { "w1", "a" })]
    public void GradientsMatchFloat64FiniteDifferences(string name, double sign, string[] weights)
    {
        var model = ControlFlowModels.Build(name, ElementType.Float64);
        var inits = model.Graph.Initializers.ToDictionary(i => i.Name);
        var ins = new List<In> { In.Of("x", Dim.Of(2), Dim.Of(4)) with { Data = [.. ((float[])Probe("x", sign).Data).Select(f => (double)f)], Trainable = false } };
        ins.AddRange(weights.Select(w => new In(w, inits[w].Dims.Select(Dim.Of).ToArray(), inits[w].Dims) { Data = TensorData.ToDoubleArray(inits[w].ToInlineProto()) }));
        GradCheck.Check(name, new GradCase(ins.ToArray(), (g, xs) =>
        {
            var values = xs.ToDictionary(v => v.Name);
            Value? Resolve(string n) => n.Length == 0 ? null : values.TryGetValue(n, out var v) ? v : values[n] = g.Constant(inits[n].ToInlineProto());
            foreach (var c in model.Graph.Nodes.Where(c => c.OpType == "Constant")) values[c.Outputs[0]] = g.Constant(c.GetTensor("value")!);
            GraphReplay.Nodes(g, model.Graph.Nodes.Where(c => c.OpType != "Constant"), values, Resolve, owner: null);
            return values["y"];
        }));
    }
}
