using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>
/// Whole networks: the gradient of every parameter, built by <see cref="Gradients.Build"/> and run on ONNX Runtime
/// (float32), against PyTorch 1.13 autograd on the same weights (read from the ONNX initializers) and batch
/// (Tests/scripts/autodiff_reference.py). Tolerance: 1e-4 relative to the largest gradient of each parameter.
/// The script also passes the whole gradient model through the onnx 1.12 checker (full check).
/// </summary>
[TestClass]
public sealed class TorchReferenceTests
{
    private static readonly Random Rnd = new(2024);

    private static Value Param(GraphBuilder g, string name, double scale, params long[] dims)
    {
        int n = (int)dims.Aggregate(1L, (a, d) => a * d);
        return g.Initializer(TensorData.FromFloats(name, Enumerable.Range(0, n).Select(_ => (float)((Rnd.NextDouble() * 2 - 1) * scale)).ToArray(), dims));
    }

    private static float[] Data(int n) => Enumerable.Range(0, n).Select(_ => (float)(Rnd.NextDouble() * 2 - 1)).ToArray();

    // torch.nn.Linear: y = x·Wᵀ + b with W [out, in].
    private static Value Linear(GraphBuilder g, Value x, string name, int inF, int outF) =>
        Op.Gemm(x, Param(g, name + ".weight", 1 / Math.Sqrt(inF), outF, inF), Param(g, name + ".bias", 0.1, outF), transB: true);

    [TestMethod]
    public void Mlp()
    {
        var g = new GraphBuilder("mlp");
        var x = g.Input("x", ElementType.Float32, "batch", 6);
        var labels = g.Input("labels", ElementType.Int64, "batch");
        var h = Op.Tanh(Linear(g, x, "fc1", 6, 10));
        h = Op.Relu(Linear(g, h, "fc2", 10, 8));
        var loss = Op.Reshape(Op.SoftmaxCrossEntropyLoss(Linear(g, h, "fc3", 8, 4), labels)[0], []); // rank 0, whatever inference knows
        long[] ys = [0, 3, 1, 2, 2, 1, 0, 3];
        Check("mlp", g, loss, HostTensor.F32("x", Data(48), 8, 6), HostTensor.I64("labels", ys, 8), new { labels = ys });
    }

    [TestMethod]
    public void CnnWithBatchNormTrainingAndMaxPool()
    {
        var g = new GraphBuilder("cnn");
        var x = g.Input("x", ElementType.Float32, "batch", 2, 8, 8);
        var labels = g.Input("labels", ElementType.Int64, "batch");
        var h = Op.Conv(x, Param(g, "conv1.weight", 0.4, 4, 2, 3, 3), Param(g, "conv1.bias", 0.1, 4), pads: [1, 1, 1, 1]);
        var mean = g.Initializer(TensorData.FromFloats("bn1.running_mean", new float[4], 4));
        var var = g.Initializer(TensorData.FromFloats("bn1.running_var", [1, 1, 1, 1], 4));
        h = Op.BatchNormalizationTraining(h, Param(g, "bn1.weight", 1, 4), Param(g, "bn1.bias", 0.2, 4), mean, var)[0];
        h = Op.MaxPool(Op.Relu(h), [2, 2], [2, 2]);
        h = Op.Relu(Op.Conv(h, Param(g, "conv2.weight", 0.3, 6, 2, 3, 3), Param(g, "conv2.bias", 0.1, 6), group: 2));
        h = Op.Flatten(Op.GlobalAveragePool(h));
        var loss = Op.Reshape(Op.SoftmaxCrossEntropyLoss(Linear(g, h, "fc", 6, 3), labels)[0], []);
        long[] ys = [2, 0, 1, 1];
        Check("cnn", g, loss, HostTensor.F32("x", Data(4 * 2 * 64), 4, 2, 8, 8), HostTensor.I64("labels", ys, 4), new { labels = ys },
            exclude: ["bn1.running_mean", "bn1.running_var"]);
    }

    [TestMethod]
    public void AttentionEncoderBlock()
    {
        const int B = 2, T = 5, D = 8, H = 2, Dh = 4, F = 16;
        var g = new GraphBuilder("attention");
        var x = g.Input("x", ElementType.Float32, "batch", T, D);
        var target = g.Input("target", ElementType.Float32, "batch", T, D);
        // Transpose and LayerNormalization are declared with their output types here, so the check does not depend on
        // their shape rules (batched MatMul gradients need operand ranks).
        Value Tr(Value v, long[] perm, params Dim[] dims) =>
            g.Node("Transpose", [v], 1, [Attr.Ints("perm", perm)], outputTypes: [new TensorType(ElementType.Float32, new Shape(dims))])[0];
        Value Ln(Value v, string name) =>
            g.Node("LayerNormalization", [v, Param(g, name + ".weight", 1, D), Param(g, name + ".bias", 0.1, D)], 1, [Attr.Int("axis", -1), Attr.Float("epsilon", 1e-5f)],
                outputTypes: [new TensorType(ElementType.Float32, new Shape("batch", T, D))])[0];
        Value Split(Value v) => Tr(Op.Reshape(v, 0, 0, H, Dh), [0, 2, 1, 3], "batch", H, T, Dh);
        var q = Split(Op.MatMul(x, Param(g, "attn.q", 0.4, D, D)));
        var k = Split(Op.MatMul(x, Param(g, "attn.k", 0.4, D, D)));
        var v = Split(Op.MatMul(x, Param(g, "attn.v", 0.4, D, D)));
        var scores = Op.Mul(Op.MatMul(q, Tr(k, [0, 1, 3, 2], "batch", H, Dh, T)), g.Scalar(1 / Math.Sqrt(Dh)));
        var ctx = Op.Reshape(Tr(Op.MatMul(Op.Softmax(scores, -1), v), [0, 2, 1, 3], "batch", T, H, Dh), 0, 0, D);
        var h = Ln(x + Op.MatMul(ctx, Param(g, "attn.out", 0.4, D, D)), "ln1");
        var pre = Op.MatMul(h, Param(g, "ffn.fc1", 0.4, D, F)) + Param(g, "ffn.b1", 0.1, F);
        var f = pre * (Op.Erf(pre * g.Scalar(1 / Math.Sqrt(2))) + g.Scalar(1)) * g.Scalar(0.5); // GELU as PyTorch exports it below opset 20
        var y = Ln(h + Op.MatMul(f, Param(g, "ffn.fc2", 0.3, F, D)), "ln2");
        var diff = Op.Reshape(y - target, -1);
        var loss = Op.Mul(Op.MatMul(diff, diff), g.Scalar(1.0 / (B * T * D)));
        var t = Data(B * T * D);
        Check("attention", g, loss, HostTensor.F32("x", Data(B * T * D), B, T, D), HostTensor.F32("target", t, B, T, D), new { target = t });
    }

    private static void Check(string net, GraphBuilder g, Value loss, HostTensor x, HostTensor second, object extra, string[]? exclude = null)
    {
        Python.Require("torch", "onnx");
        var parameters = g.Graph.Initializers.Select(i => i.Name).Where(n => exclude?.Contains(n) != true).ToList();
        string dir = Path.Combine(Path.GetTempPath(), "onnxkit-autodiff-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string modelPath = Path.Combine(dir, "model.onnx"), dataPath = Path.Combine(dir, "data.json"), outPath = Path.Combine(dir, "out.json");
            var forwardOnly = g.Model.ToBytes(); // parameters as PyTorch reads them, before gradient nodes are added
            File.WriteAllBytes(modelPath, forwardOnly);
            var data = new Dictionary<string, object> { ["x"] = x.Floats, ["x_shape"] = x.Shape };
            foreach (var p in extra.GetType().GetProperties()) data[p.Name] = p.GetValue(extra)!;
            File.WriteAllText(dataPath, JsonSerializer.Serialize(data));

            var gradients = Gradients.Build(g, loss, parameters);
            g.Output(loss, "loss");
            foreach (var (name, grad) in gradients) g.Output(grad, "grad." + name);
            var gradientModel = g.Build();
            string gradPath = Path.Combine(dir, "gradients.onnx");
            gradientModel.Save(gradPath);
            var ours = OrtRun.Run(gradientModel, x, second);

            Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "autodiff_reference.py"), net, modelPath, dataPath, outPath, gradPath);
            using var reference = JsonDocument.Parse(File.ReadAllText(outPath));
            double refLoss = reference.RootElement.GetProperty("loss").GetDouble();
            Assert.AreEqual(refLoss, ours["loss"].Doubles[0], 1e-4 * Math.Max(1, Math.Abs(refLoss)), $"{net}: loss");
            var grads = reference.RootElement.GetProperty("grads");
            foreach (var name in parameters)
            {
                var expected = grads.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
                var actual = ours["grad." + name].Doubles;
                double scale = Math.Max(1e-3, expected.Max(Math.Abs)); // a floor: BatchNorm makes conv1.bias's true gradient 0 (both sides are rounding noise)
                Compare.Close(expected, actual, 1e-4 * scale, 1e-4, $"{net}: gradient of {name}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
