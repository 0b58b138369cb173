using System.Text.Json;
using System.Text.RegularExpressions;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Layout;

/// <summary>
/// A Keras CNN as tf2onnx writes it (input <c>[unk__1, 28, 28]</c> or <c>[unk__1, 28, 28, 1]</c>, channels last,
/// Transposes around the NCHW Conv, names with ':0'), fine-tuned and evaluated on the shipped Fashion-MNIST
/// (<c>[1, 28, 28]</c> samples) through the real <c>onnxkit</c> process.
/// </summary>
[TestClass]
public sealed class LayoutCliTests
{
    internal static OnnxModel KerasStyleCnn(long[] sample)
    {
        var m = new OnnxModel { IrVersion = 7, ProducerName = "tf2onnx" };
        m.Opsets[""] = 13;
        var g = m.Graph;
        g.Name = "tf2onnx";
        g.Inputs.Add(new ValueInfoProto { Name = "input_1:0", Type = new TensorType(ElementType.Float32, new Shape([Dim.Sym("unk__1"), .. sample.Select(Dim.Of)])).ToProto() });
        var rnd = new Random(5);
        float[] Uniform(int n, double bound) => Enumerable.Range(0, n).Select(_ => (float)((rnd.NextDouble() * 2 - 1) * bound)).ToArray();
        g.Initializers.Add(new Initializer(TensorData.FromFloats("conv2d/kernel:0", Uniform(8 * 25, 0.2), 8, 1, 5, 5)));
        g.Initializers.Add(new Initializer(TensorData.FromFloats("conv2d/bias:0", new float[8], 8)));
        g.Initializers.Add(new Initializer(TensorData.FromFloats("dense/kernel:0", Uniform(12 * 12 * 8 * 10, 0.04), 12 * 12 * 8, 10)));
        g.Initializers.Add(new Initializer(TensorData.FromFloats("dense/bias:0", new float[10], 10)));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("nhwc_shape", [-1, 28, 28, 1], 4)));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("flat_shape", [-1, 12 * 12 * 8], 2)));
        g.Nodes.Add(new Node("Reshape", ["input_1:0", "nhwc_shape"], ["nhwc"], name: "model/reshape/Reshape"));
        g.Nodes.Add(new Node("Transpose", ["nhwc"], ["nchw"], name: "model/conv2d/Conv2D__6", attributes: [Attr.Ints("perm", [0, 3, 1, 2])]));
        g.Nodes.Add(new Node("Conv", ["nchw", "conv2d/kernel:0", "conv2d/bias:0"], ["conv"], name: "model/conv2d/Conv2D", attributes: [Attr.Ints("kernel_shape", [5, 5]), Attr.Ints("strides", [2, 2])]));
        g.Nodes.Add(new Node("Relu", ["conv"], ["relu"], name: "model/conv2d/Relu"));
        g.Nodes.Add(new Node("Transpose", ["relu"], ["back"], name: "model/conv2d/Relu__8", attributes: [Attr.Ints("perm", [0, 2, 3, 1])]));
        g.Nodes.Add(new Node("Reshape", ["back", "flat_shape"], ["flat"], name: "model/flatten/Reshape"));
        g.Nodes.Add(new Node("MatMul", ["flat", "dense/kernel:0"], ["mm"], name: "model/dense/MatMul"));
        g.Nodes.Add(new Node("Add", ["mm", "dense/bias:0"], ["dense:0"], name: "model/dense/BiasAdd"));
        g.Outputs.Add(new ValueInfoProto { Name = "dense:0", Type = new TensorType(ElementType.Float32, new Shape(Dim.Sym("unk__2"), Dim.Of(10))).ToProto() });
        return m;
    }

    [TestMethod]
    public void KerasStyleCnnFineTunesAndEvaluatesOnChannelFirstSamples()
    {
        string dir = Directory.CreateTempSubdirectory("layout-cli-").FullName;
        try
        {
            string model = Path.Combine(dir, "keras.onnx");
            KerasStyleCnn([28, 28]).Save(model);
            string outDir = Path.Combine(dir, "run");
            var (code, stdout, stderr) = OnnxkitCli.Run(["finetune", model, "--dataset", "fashion-mnist", "--epochs", "1", "--plain", "--out", outDir], 900);
            Assert.AreEqual(0, code, stderr + stdout);
            using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
            double acc = metrics.RootElement.GetProperty("test_accuracy").GetDouble();
            Console.WriteLine($"tf2onnx-style CNN [unk, 28, 28]: test accuracy {acc:F4} after one epoch");
            Assert.IsTrue(acc >= 0.80, $"fine-tuned accuracy {acc}, expected at least 0.80");

            // evaluate reshapes the same way and agrees with the fine-tuning run's own test accuracy.
            (code, stdout, stderr) = OnnxkitCli.Run(["evaluate", "--model", Path.Combine(outDir, "model.onnx"), "--dataset", "fashion-mnist"], 300);
            Assert.AreEqual(0, code, stderr + stdout);
            double evaluated = double.Parse(Regex.Match(stdout, @"accuracy (\d\.\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.AreEqual(acc, evaluated, 1e-4, stdout);

            // The untouched export, channels last with the channel axis kept, evaluates too (no crash).
            string nhwc = Path.Combine(dir, "keras_nhwc.onnx");
            KerasStyleCnn([28, 28, 1]).Save(nhwc);
            (code, stdout, stderr) = OnnxkitCli.Run(["evaluate", "--model", nhwc, "--dataset", "fashion-mnist", "--input-layout", "nhwc"], 300);
            Assert.AreEqual(0, code, stderr + stdout);
            StringAssert.Contains(stdout, "accuracy 0.");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    [DataRow("finetune", new long[] { 27, 28 }, "auto", "756 values per sample against 784")]
    [DataRow("evaluate", new long[] { 27, 28 }, "auto", "756 values per sample against 784")]
    [DataRow("evaluate", new long[] { 28, 28 }, "hwc", "--input-layout must be auto, nchw or nhwc")]
    public void MismatchedSamplesAreAOneLineError(string verb, long[] sample, string layout, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("layout-cli-bad-").FullName;
        try
        {
            string model = Path.Combine(dir, "keras.onnx");
            KerasStyleCnn(sample).Save(model);
            string[] args = verb == "finetune"
                ? ["finetune", model, "--input-layout", layout, "--out", Path.Combine(dir, "out")]
                : ["evaluate", "--model", model, "--input-layout", layout];
            var (code, stdout, stderr) = OnnxkitCli.Run(args, 300);
            Assert.AreEqual(2, code, stdout + stderr);
            StringAssert.Contains(stderr, expected);
            Assert.AreEqual(1, stderr.Trim().Split('\n').Length, stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
