using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Session;
using OnnxKit.Training.Session.Cuda;
using OnnxKit.Training.Session.Lowering;
using OnnxKit.Zoo;
using LossCatalog = OnnxKit.Losses;
using MetricCatalog = OnnxKit.Metrics;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Cuda;

/// <summary>
/// The graphs of every zoo model, as a CUDA session hands them to ONNX Runtime, have a CUDA kernel for every node
/// (per ONNX Runtime 1.31's published kernel list); the CUDA-only rewrite computes what the original computes;
/// CPU-only rewrites stay off CUDA.
/// </summary>
[TestClass]
public sealed class CudaCoverageTests
{
    private static readonly TrainingSessionOptions OnCuda = new() { Device = "cuda" };

    /// <summary>A zoo model's artifacts for Fashion-MNIST-shaped samples, Adam 1e-3 (shared by the CUDA tests).</summary>
    internal static TrainingArtifacts Artifacts(string name, int opset = 17)
    {
        var model = ModelZoo.Create(name, [1, 28, 28], 10, seed: 1);
        var type = new TensorType(ElementType.Float32, new Shape([Dim.Sym("batch"), Dim.Of(1), Dim.Of(28), Dim.Of(28)]));
        return TrainingArtifacts.Create(model, type, LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), OptimizerCatalog.Adam(1e-3),
            new TrainingArtifacts.Options { Opset = opset });
    }

    /// <summary>Every architecture of the zoo, new ones included as they land.</summary>
    public static IEnumerable<object[]> ZooModels => ModelZoo.Names.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(ZooModels))]
    public void EveryNodeOfTheTrainStepEvalAndInferenceGraphsHasACudaKernel(string name)
    {
        var a = Artifacts(name);
        // As a CUDA session builds them: with every catalogue metric's batch sums and Evaluate's confusion counts appended.
        OnnxKit.Training.Metrics.Metric[] metrics = [MetricCatalog.Accuracy, MetricCatalog.TopK(5), MetricCatalog.Precision(10), MetricCatalog.Recall(10),
            MetricCatalog.F1(10), new OnnxKit.Training.Metrics.ConfusionMatrixMetric()];
        var (train, eval, trainSums, evalSums) = TrainingSession.Graphs(a.TrainStep.ToBytes(), a.Eval.ToBytes(), a.Manifest, OnCuda, metrics);
        Assert.AreEqual((5, 6), (trainSums.Length, evalSums.Length), "every metric is computed in the graphs");
        foreach (var (graph, model) in new[] { ("train step", OnnxModel.FromBytes(train)), ("eval", OnnxModel.FromBytes(eval)), ("inference", a.Inference) })
        {
            var fallbacks = CudaCoverage.Fallbacks(model);
            Assert.AreEqual(0, fallbacks.Count, $"{name} {graph} (opset {model.Opset}):\n" + string.Join("\n", fallbacks));
        }
    }

    [TestMethod]
    public void TheSavedTrainStepStillUsesTheFusedLossWhichCudaLacks()
    {
        // The rewrite is for CUDA sessions only: saved artifacts keep the standard fused operator, which the table
        // (like OperatorKernels.md) lists for the CPU provider but not for CUDA.
        var fallbacks = CudaCoverage.Fallbacks(Artifacts("mlp").TrainStep);
        Assert.AreEqual(1, fallbacks.Count, string.Join("\n", fallbacks));
        Assert.AreEqual("SoftmaxCrossEntropyLoss", fallbacks[0].OpType);
        StringAssert.Contains(fallbacks[0].Reason, "CUDA has no kernel for ai.onnx SoftmaxCrossEntropyLoss");
    }

    [TestMethod]
    public void TheCudaLossFormulationComputesTheSameStepAsTheFusedOperator()
    {
        // The rewritten train step, run on the CPU, gives the same loss, logits and next parameters/Adam slots as the original.
        var a = Artifacts("mlp");
        var (lowered, _) = ProviderLowering.Apply(a.TrainStep.ToBytes(), a.Eval.ToBytes(), OnCuda);
        Assert.IsTrue(OnnxModel.FromBytes(lowered).Graph.Nodes.All(n => n.OpType != "SoftmaxCrossEntropyLoss"), "the fused loss is rewritten");
        var rng = new Random(3);
        var inputs = new List<HostTensor>
        {
            HostTensor.F32(TrainingArtifacts.InputName, Enumerable.Range(0, 8 * 784).Select(_ => (float)rng.NextDouble()).ToArray(), 8, 1, 28, 28),
            HostTensor.I64(TrainingArtifacts.TargetName, [0, 3, 9, 1, 1, 7, 5, 2], 8),
        };
        inputs.Add(HostTensor.F32(OnnxKit.Training.Optimizers.Optimizer.LearningRateName, [1e-3f]));
        inputs.AddRange(a.InitialState.Values.Select(t => t.Type == ElementType.Int64
            ? HostTensor.I64(t.Name, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.Bytes).ToArray(), t.Shape)
            : HostTensor.F32(t.Name, t.ToFloats(), t.Shape)));
        var expected = OrtRun.Run(a.TrainStep.ToBytes(), [.. inputs]);
        var actual = OrtRun.Run(lowered, [.. inputs]);
        Assert.AreEqual(expected.Count, actual.Count);
        foreach (var (name, e) in expected)
        {
            var x = actual[name].Floats;
            for (int i = 0; i < x.Length; i++)
                Assert.AreEqual(e.Floats[i], x[i], 1e-6 + 1e-5 * Math.Abs(e.Floats[i]), $"{name}[{i}]");
        }
        // And the loss is the cross-entropy computed here in float64 from the logits.
        var logits = expected[a.Manifest.Output].Doubles;
        long[] y = (long[])inputs[1].Data;
        double ce = Enumerable.Range(0, 8).Average(n =>
        {
            var row = logits.Skip(n * 10).Take(10).ToArray();
            double m = row.Max();
            return m + Math.Log(row.Sum(v => Math.Exp(v - m))) - row[y[n]];
        });
        Assert.AreEqual(ce, actual[a.Manifest.Loss].Doubles[0], 1e-5);
    }

    [TestMethod]
    public void BlockedLayoutConvolutionsAreNeverHandedToCuda()
    {
        var a = Artifacts("cnn");
        static int Nchwc(byte[] m) => OnnxModel.FromBytes(m).Graph.Nodes.Count(n => n.Domain == NchwcConvolutions.Domain);
        // Through the session's own path (metrics appended, then the provider's rewrites), blocked layout asked for.
        var (cudaTrain, cudaEval, _, _) = TrainingSession.Graphs(a.TrainStep.ToBytes(), a.Eval.ToBytes(), a.Manifest, OnCuda with { BlockedConvolutions = true }, [MetricCatalog.Accuracy]);
        Assert.AreEqual(0, Nchwc(cudaTrain) + Nchwc(cudaEval), "no com.microsoft.nchwc node on CUDA");
        if (NchwcRuntime.BlockSize <= 0) Assert.Inconclusive("this CPU has no blocked-layout kernels, so the CPU half cannot be shown");
        var (cpuTrain, _) = ProviderLowering.Apply(a.TrainStep.ToBytes(), a.Eval.ToBytes(), new TrainingSessionOptions());
        Assert.IsTrue(Nchwc(cpuTrain) > 0, "the same graph on the CPU does get the blocked-layout kernels");
    }

    [TestMethod]
    public void NodesOutsideTheTableAreReportedWithTheirOpsetAndType()
    {
        // Facts read off OperatorKernels.md's CUDA section: Pad has no int64 kernel, Mean none at all,
        // Upsample none after opset 9; Where on float and Pad on float are covered.
        var g = new GraphBuilder("probe", 17);
        var f = g.Input("f", ElementType.Float32, Dim.Of(2), Dim.Of(3));
        var i = g.Input("i", ElementType.Int64, Dim.Of(2), Dim.Of(3));
        var pads = g.Int64s(0, 1, 0, 1);
        g.Output(g.Node("Pad", [i, pads])[0], "padded_int");
        g.Output(g.Node("Pad", [f, pads])[0], "padded_float");
        g.Output(g.Node("Mean", [f, f])[0], "mean");
        g.Output(Op.Where(Op.Greater(f, f), f, f), "where");
        var fallbacks = CudaCoverage.Fallbacks(g.Build());
        CollectionAssert.AreEqual(new[] { "Pad int64", "Mean ?" }, fallbacks.Select(x => $"{x.OpType} {x.ElementType}").ToArray(), string.Join("\n", fallbacks));
        StringAssert.Contains(fallbacks[0].Reason, "bool, double, float, float16");
        Assert.AreEqual(17, fallbacks[0].Opset);
    }

    [TestMethod]
    public void TheTableParserNamesTheLineAtFault()
    {
        var e = Assert.ThrowsExactly<FormatException>(() => CudaKernelTable.Parse("[ai.onnx]\nAbs 13 * i0 @nosuchset\n"));
        StringAssert.Contains(e.Message, "line 2");
        StringAssert.Contains(e.Message, "unknown type set '@nosuchset'");
        var k = CudaKernelTable.Parse("@f float double\n[x.y]\nOp 3 5 o0 @f int8\n").Single();
        Assert.AreEqual(("x.y", "Op", 3, 5, "o0"), (k.Domain, k.OpType, k.Since, k.Until, k.TypedBy));
        CollectionAssert.AreEquivalent(new[] { "float", "double", "int8" }, k.Types.ToArray());
        // The shipped table parses whole: the 147 ai.onnx operators transcribed from OperatorKernels.md's CUDA section.
        Assert.AreEqual(147, CudaKernelTable.All.Where(x => x.Domain == "ai.onnx").Select(x => x.OpType).Distinct().Count());
    }
}
