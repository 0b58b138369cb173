using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>
/// Inference on a graph someone else wrote: a PyTorch export (Conv, BatchNorm folded, grouped Conv, ceil-mode MaxPool,
/// ConvTranspose, Pad + AveragePool, Transpose, LayerNormalization, MatMul, ReduceMean, TopK, Concat, Slice, Resize,
/// Softmax, and view(size(0), -1) as Shape → Gather → Unsqueeze → Concat → Reshape) is attached with its declared intermediate types removed, so every type comes from the rules,
/// and each value is compared with what ONNX Runtime computes for two batch sizes.
/// </summary>
[TestClass]
public sealed class AttachShapeInferenceTests
{
    [TestMethod]
    public void EveryValueOfAPyTorchExportIsInferredAsOrtComputesIt()
    {
        Python.Require("torch", "onnx");
        string path = Path.Combine(Path.GetTempPath(), $"onnxkit_rules_{Guid.NewGuid():N}.onnx");
        try
        {
            Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "rules_torch_export.py"), path);
            // With the declared types kept, the inferred batch symbol still wins over the exporter's per-value labels
            // (20 → conv pad 1: 20 → conv 3 stride 2: 9 → ceil-mode pool 2: 5 → transposed conv 2 stride 2: 10).
            var declared = GraphBuilder.Attach(OnnxModel.Load(path));
            Assert.AreEqual("float[batch, 5]", declared["probs"].Type.ToString());
            Assert.AreEqual("float[batch, 4, 10, 10]", declared[OnnxModel.Load(path).Graph.Nodes.First(n => n.OpType == "ConvTranspose").Outputs[0]].Type.ToString());

            var model = OnnxModel.Load(path);
            // Forget what the exporter declared, so the types below are the rules' own.
            model.Graph.ValueInfo.Clear();
            foreach (var o in model.Graph.Outputs) o.Type.TensorType.Shape = null;
            var b = GraphBuilder.Attach(model);

            var values = model.Graph.Nodes.SelectMany(n => n.Outputs).Where(n => n.Length > 0).ToList();
            var outputs = model.Graph.Outputs.Select(o => o.Name).ToHashSet();
            foreach (var name in values)
            {
                var t = b[name].Type;
                Assert.AreNotEqual(ElementType.Undefined, t.ElementType, $"'{name}' has no inferred element type");
                Assert.IsNotNull(t.Shape, $"'{name}' has no inferred rank");
                if (!outputs.Contains(name)) model.Graph.Outputs.Add(new Schema.ValueInfoProto { Name = name, Type = new TensorType(t.ElementType, null).ToProto() });
            }
            Assert.IsGreaterThanOrEqualTo(20, values.Count);

            foreach (int batch in new[] { 1, 3 })
            {
                var x = new float[batch * 3 * 20 * 20];
                var rng = new Random(batch);
                for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
                var actual = OrtRun.Run(model, HostTensor.F32("x", x, batch, 3, 20, 20));
                foreach (var name in values)
                {
                    var inferred = b[name].Type;
                    var got = actual[name];
                    string where = $"'{name}' ({model.Graph.Producer(name)!.OpType}): inferred {inferred}, ORT gave {got.Type.OnnxName()}[{string.Join(", ", got.Shape)}] at batch {batch}";
                    Assert.AreEqual(got.Type, inferred.ElementType, where);
                    Assert.AreEqual(got.Shape.Length, inferred.Shape!.Rank, where);
                    for (int k = 0; k < got.Shape.Length; k++)
                    {
                        // Every size is a number or the input's batch symbol: nothing here needs to stay unknown.
                        var d = inferred.Shape[k];
                        long expected = d.Symbol == "batch" ? batch : d.Value ?? -1;
                        Assert.AreEqual(expected, got.Shape[k], where);
                    }
                }
            }
        }
        finally { File.Delete(path); }
    }
}
