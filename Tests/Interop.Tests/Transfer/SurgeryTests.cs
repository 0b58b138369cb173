using OnnxKit.Interop.Transfer;
using OnnxKit.Interop.Weights;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;

namespace OnnxKit.Tests.Interop.Transfer;

/// <summary>Surgery on hand-built "imported" graphs: freezing, cutting, head replacement, BatchNorm/Dropout switching, untying.</summary>
[TestClass]
public sealed class SurgeryTests
{
    // x[batch,4] → fc1 (Gemm) → Relu → bn (BatchNormalization, momentum 0.9 = PyTorch's 0.1) → Dropout(0.5) → fc (Gemm) → logits[batch,3]
    private static OnnxModel Imported(bool tie = false)
    {
        var g = new GraphBuilder("imported");
        var x = g.Input("input", ElementType.Float32, "batch", 4);
        var rng = new Random(1);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var w1 = g.Initializer(TensorData.FromFloats("fc1.weight", R(20), 5, 4));
        var b1 = g.Initializer(TensorData.FromFloats("fc1.bias", R(5), 5));
        var h = Op.Relu(Op.Gemm(x, w1, b1, transB: true));
        var ones = g.Initializer(TensorData.FromFloats("bn.weight", [1, 1, 1, 1, 1], 5));
        var zeros = g.Initializer(TensorData.FromFloats("bn.bias", new float[5], 5));
        // PyTorch's exporter ties identical fresh tensors: running_var is an Identity of the weight (all ones).
        var rv = tie ? g.Node("Identity", [ones], outputNames: ["bn.running_var"])[0] : g.Initializer(TensorData.FromFloats("bn.running_var", [1, 1, 1, 1, 1], 5));
        var rm = g.Initializer(TensorData.FromFloats("bn.running_mean", [0.1f, 0.2f, 0.3f, 0.4f, 0.5f], 5));
        var bn = g.Node("BatchNormalization", [h, ones, zeros, rm, rv], attributes: [Attr.Float("epsilon", 1e-5f), Attr.Float("momentum", 0.9f)])[0];
        var d = g.Node("Dropout", [bn, g.Scalar(0.5)], outputNames: ["dropped"])[0];
        var w2 = g.Initializer(TensorData.FromFloats("fc.weight", R(15), 3, 5));
        var b2 = g.Initializer(TensorData.FromFloats("fc.bias", R(3), 3));
        g.Output(Op.Gemm(d, w2, b2, transB: true), "logits");
        return g.Build();
    }

    [TestMethod]
    public void ParametersBuffersAndInferenceGraphFollowTheFile()
    {
        var m = Imported().MakeTrainable();
        CollectionAssert.AreEquivalent(new[] { "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc.weight", "fc.bias" },
            m.Parameters().Where(p => !p.IsBuffer).Select(p => p.FullName).ToList());
        CollectionAssert.AreEquivalent(new[] { "bn.running_mean", "bn.running_var" }, m.Parameters().Where(p => p.IsBuffer).Select(p => p.FullName).ToList());
        Assert.AreEqual(0.1f, m.BatchNormMomentum["bn.running_mean"], 1e-6f);
        var inference = TrainingArtifacts.BuildInference(m, m.InputType);
        var ops = inference.Graph.Nodes.Select(n => n.OpType).ToList();
        CollectionAssert.Contains(ops, "BatchNormalization");
        CollectionAssert.DoesNotContain(ops, "Dropout");
        // The inference graph computes what the file computes.
        var x = HostTensor.F32("input", Enumerable.Range(0, 8).Select(i => i * 0.25f - 1).ToArray(), 2, 4);
        var fileOut = OrtRun.Run(Imported(), x)["logits"].Floats;
        var ours = OrtRun.Run(inference, x with { Name = TrainingArtifacts.InputName })["output"].Floats;
        Compare.Close(fileOut, ours, 1e-6);
    }

    [TestMethod]
    public void TrainingStepUsesBatchStatisticsAndUpdatesRunningStatsTheWayPyTorchDoes()
    {
        var m = Imported().MakeTrainable();
        var opt = new Sgd(0.1);  // the running statistics come from the forward pass with the weights before the update
        var art = TrainingArtifacts.Create(m, m.InputType, LossCatalog.CrossEntropy(), opt);
        CollectionAssert.DoesNotContain(art.TrainStep.Graph.Nodes.Select(n => n.OpType).ToList(), "BatchNormalization");
        // The Dropout trains: its mask is drawn in the graph from the step counter (so a resume replays it).
        CollectionAssert.DoesNotContain(art.TrainStep.Graph.Nodes.Select(n => n.OpType).ToList(), "Dropout");
        CollectionAssert.Contains(art.TrainStep.Graph.Nodes.Select(n => n.OpType).ToList(), "GreaterOrEqual");
        using var s = new TrainingSession(art, opt);
        float[] x = [1, -2, 0.5f, 3, -1, 0, 2, 1, 0.5f, 0.5f, -0.5f, 2];
        s.Step(x, new long[] { 0, 1, 2 }, 3, 0.1);
        // Hand computation: h = relu(x·W1ᵀ + b1); batch mean and unbiased variance per channel; running ← 0.9·running + 0.1·batch.
        var w1 = m.ImportedTensors["fc1.weight"].Data; var b1 = m.ImportedTensors["fc1.bias"].Data;
        var state = s.State();
        var rm = state["bn.running_mean"].ToFloats(); var rv = state["bn.running_var"].ToFloats();
        float[] rm0 = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f];
        for (int c = 0; c < 5; c++)
        {
            var h = Enumerable.Range(0, 3).Select(n => Math.Max(0.0, b1[c] + Enumerable.Range(0, 4).Sum(k => (double)x[n * 4 + k] * w1[c * 4 + k]))).ToArray();
            double mean = h.Average(), unbiased = h.Sum(v => (v - mean) * (v - mean)) / 2;
            Assert.AreEqual(0.9 * rm0[c] + 0.1 * mean, rm[c], 1e-5, $"running_mean[{c}]");
            Assert.AreEqual(0.9 * 1 + 0.1 * unbiased, rv[c], 1e-5, $"running_var[{c}]");
        }
    }

    [TestMethod]
    public void FreezeByNamePrefixAndUpToKeepsThoseWeightsFixedInTraining()
    {
        var m = Imported().MakeTrainable().Freeze(names: ["fc.bias"]);
        Assert.IsFalse(m.ImportedTensors["fc.bias"].Trainable);
        Assert.IsTrue(m.ImportedTensors["fc1.weight"].Trainable);
        m.Freeze(prefix: "fc1");
        Assert.IsFalse(m.ImportedTensors["fc1.weight"].Trainable || m.ImportedTensors["fc1.bias"].Trainable);
        Assert.IsTrue(m.ImportedTensors["bn.weight"].Trainable);

        var up = Imported().MakeTrainable().Freeze(upTo: "dropped");   // the Dropout's output: everything before the head
        CollectionAssert.AreEquivalent(new[] { "fc.weight", "fc.bias" }, up.Parameters().Where(p => p.Trainable).Select(p => p.FullName).ToList());
        var opt = new Sgd(0.5);
        var art = TrainingArtifacts.Create(up, LossCatalog.CrossEntropy(), opt);   // input type from the imported graph
        using var s = new TrainingSession(art, opt);
        s.Step([1, -2, 0.5f, 3, -1, 0, 2, 1], new long[] { 0, 2 }, 2, 0.5);
        var state = s.State();
        Assert.IsFalse(state.ContainsKey("fc1.weight"), "a frozen weight is not state");
        CollectionAssert.AreNotEqual(up.ImportedTensors["fc.weight"].Data, state["fc.weight"].ToFloats(), "the head trained");
        var e = Assert.ThrowsExactly<ArgumentException>(() => up.Freeze(names: ["fc3.weight"]));
        StringAssert.Contains(e.Message, "'fc3.weight'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => up.Freeze(upTo: "layer9")).Message, "'layer9'");
    }

    [TestMethod]
    public void ReplaceHeadCutsBeforeTheLastGemmAndNamesTheNewLayerLikeTheOld()
    {
        var m = Imported().ReplaceHead(7);
        Assert.AreEqual("dropped", m.OutputName);
        Assert.IsFalse(m.ImportedTensors.ContainsKey("fc.weight"), "the old head is gone");
        var names = m.Parameters().Select(p => p.FullName).ToList();
        CollectionAssert.Contains(names, "fc.weight");
        CollectionAssert.AreEqual(new long[] { 7, 5 }, m.Parameters().Single(p => p.FullName == "fc.weight").Shape);
        var inference = TrainingArtifacts.BuildInference(m, m.InputType);
        var y = OrtRun.Run(inference, HostTensor.F32(TrainingArtifacts.InputName, new float[8], 2, 4))["output"];
        CollectionAssert.AreEqual(new long[] { 2, 7 }, y.Shape);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.MakeTrainableCut("nowhere")).Message, "'nowhere'");
    }

    [TestMethod]
    public void TiedInitializersTrainApartAndConstantsBecomeParametersOnRequest()
    {
        var m = Imported(tie: true).MakeTrainable();
        Assert.IsTrue(m.ImportedTensors["bn.running_var"].IsBuffer);
        Assert.IsFalse(m.ImportedTensors["bn.weight"].IsBuffer);
        Assert.IsTrue(m.Report.Any(r => r.Contains("own copies")), string.Join("\n", m.Report));
        var opt = new Sgd(0.5);
        var art = TrainingArtifacts.Create(m, m.InputType, LossCatalog.CrossEntropy(), opt);
        using var s = new TrainingSession(art, opt);
        s.Step([1, -2, 0.5f, 3, -1, 0, 2, 1], new long[] { 0, 2 }, 2, 0.5);
        var st = s.State();
        CollectionAssert.AreNotEqual(st["bn.weight"].ToFloats(), st["bn.running_var"].ToFloats(), "weight and running_var no longer share storage");

        // The Dropout ratio constant (a float Constant node) becomes a parameter only when asked for.
        var ratioName = Imported().Graph.Nodes.Single(n => n.OpType == "Dropout").Inputs[1];
        var withConst = Imported().MakeTrainable(constantsAsParameters: [ratioName]);
        Assert.IsTrue(withConst.ImportedTensors.ContainsKey(ratioName));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Imported().MakeTrainable(constantsAsParameters: ["nope"])).Message, "'nope'");
    }

    [TestMethod]
    public void LoopOfRunTimeLengthIsRefusedWithTheNodeNamed()
    {
        var g = new GraphBuilder("loopy");
        var x = g.Input("input", ElementType.Float32, "batch", 2);
        var steps = Op.ReduceMax(Op.Shape(x), keepDims: false);   // the batch size: known only at run time
        var body = new OnnxKit.Schema.GraphProto { Name = "step" };
        body.Input.Add(new OnnxKit.Schema.ValueInfoProto { Name = "i" });
        body.Input.Add(new OnnxKit.Schema.ValueInfoProto { Name = "c" });
        body.Input.Add(new OnnxKit.Schema.ValueInfoProto { Name = "h" });
        body.Node.Add(new OnnxKit.Schema.NodeProto { OpType = "Identity", Input = { "c" }, Output = { "cn" } });
        body.Node.Add(new OnnxKit.Schema.NodeProto { OpType = "Neg", Input = { "h" }, Output = { "hn" } });
        body.Output.Add(new OnnxKit.Schema.ValueInfoProto { Name = "cn" });
        body.Output.Add(new OnnxKit.Schema.ValueInfoProto { Name = "hn" });
        var y = g.Node("Loop", [steps, null, x], attributes: [Attr.Graph("body", body)], outputTypes: [x.Type], name: "repeat")[0];
        g.Output(y, "y");
        var e = Assert.ThrowsExactly<ArgumentException>(() => g.Build().MakeTrainable());
        StringAssert.Contains(e.Message, "Loop node 'repeat'");
        StringAssert.Contains(e.Message, "trip count is not a constant");
    }

    [TestMethod]
    public void ExporterGeneratedWeightNamesAreReported()
    {
        // torch names a weight it had to transpose for MatMul 'onnx::MatMul_12' instead of its state_dict name.
        var g = new GraphBuilder("renamed");
        var x = g.Input("input", ElementType.Float32, "batch", 2);
        var w = g.Initializer(TensorData.FromFloats("onnx::MatMul_12", [1, 2, 3, 4], 2, 2));
        g.Output(Op.MatMul(x, w), "y");
        var m = g.Build().MakeTrainable();
        Assert.IsTrue(m.Report.Any(r => r.Contains("'onnx::MatMul_12'") && r.Contains("state_dict")), string.Join("\n", m.Report));
        var names = StateDict.NonStateDictNames(m);
        Assert.AreEqual(1, names.Count);
        StringAssert.Contains(names[0], "'onnx::MatMul_12'");
    }

    [TestMethod]
    public void StateDictRoundTripsThroughSafeTensors()
    {
        var m = Imported().ReplaceHead(3);
        string path = Path.Combine(Directory.CreateTempSubdirectory("statedict-").FullName, "w.safetensors");
        StateDict.Save(m, path);
        var other = Imported().ReplaceHead(3);
        other.Seed = 99;
        other.ImportedTensors["fc1.weight"].Data = new float[20];
        StateDict.Load(other, path);
        foreach (var (a, b) in m.Parameters().Zip(other.Parameters())) CollectionAssert.AreEqual(a.Data, b.Data, a.FullName);
        Assert.AreEqual(0, StateDict.NonStateDictNames(m).Count);
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }
}

internal static class CutHelper
{
    public static TrainableModel MakeTrainableCut(this TrainableModel m, string value) => Imported(m).CutAt(value);
    private static TrainableModel Imported(TrainableModel m) => m.Source.MakeTrainable();
}
