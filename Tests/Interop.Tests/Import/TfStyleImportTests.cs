using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>
/// The shape tf2onnx gives a Keras CNN: NHWC input with an <c>unk__</c> symbolic batch, Transposes around an NCHW Conv,
/// a Reshape to [-1, n], names with ':0'. It imports without shape issues, keeps the symbolic batch, and computes the same.
/// </summary>
[TestClass]
public sealed class TfStyleImportTests
{
    private static OnnxModel Model()
    {
        var m = new OnnxModel { IrVersion = 7, ProducerName = "tf2onnx" };
        m.Opsets[""] = 13;
        var g = m.Graph;
        g.Name = "tf2onnx";
        g.Inputs.Add(new ValueInfoProto { Name = "input_1:0", Type = new TensorType(ElementType.Float32, new Shape("unk__12", 5, 5, 2)).ToProto() });
        var rnd = new Random(3);
        g.Initializers.Add(new Initializer(TensorData.FromFloats("conv2d/kernel:0", Enumerable.Range(0, 3 * 2 * 3 * 3).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray(), 3, 2, 3, 3)));
        g.Initializers.Add(new Initializer(TensorData.FromFloats("conv2d/bias:0", [0.1f, -0.2f, 0.3f], 3)));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("const_shape", [-1, 27], 2)));
        g.Nodes.Add(new Node("Transpose", ["input_1:0"], ["nchw"], name: "model/conv2d/Conv2D__6", attributes: [Attr.Ints("perm", [0, 3, 1, 2])]));
        g.Nodes.Add(new Node("Conv", ["nchw", "conv2d/kernel:0", "conv2d/bias:0"], ["conv"], name: "model/conv2d/Conv2D", attributes: [Attr.Ints("kernel_shape", [3, 3]), Attr.Ints("strides", [1, 1])]));
        g.Nodes.Add(new Node("Relu", ["conv"], ["relu"], name: "model/conv2d/Relu"));
        g.Nodes.Add(new Node("Transpose", ["relu"], ["nhwc"], name: "model/conv2d/Relu__8", attributes: [Attr.Ints("perm", [0, 2, 3, 1])]));
        g.Nodes.Add(new Node("Reshape", ["nhwc", "const_shape"], ["dense:0"], name: "model/flatten/Reshape"));
        g.Outputs.Add(new ValueInfoProto { Name = "dense:0", Type = new TensorType(ElementType.Float32, new Shape("unk__13", 27)).ToProto() });
        return m;
    }

    [TestMethod]
    public void ImportsKeepsSymbolicBatchAndComputesTheSame()
    {
        var x = HostTensor.F32("input_1:0", Enumerable.Range(0, 3 * 5 * 5 * 2).Select(i => (float)Math.Sin(i)).ToArray(), 3, 5, 5, 2);
        var before = OrtRun.Run(Model(), x)["dense:0"];
        var r = ModelImporter.Import(Model());
        Assert.AreEqual(0, r.ShapeIssues.Count, string.Join("; ", r.ShapeIssues));
        Assert.AreEqual(17L, r.Model.Opset);
        var b = GraphBuilder.Attach(r.Model);
        Assert.AreEqual("float[unk__12, 27]", b["dense:0"].Type.ToString());
        Assert.IsTrue(r.Trainability!.IsTrainable);
        CollectionAssert.AreEquivalent(new[] { "conv2d/kernel:0", "conv2d/bias:0" }, r.Trainability.TrainableInitializers.ToArray());
        var after = OrtRun.Run(r.Model, x)["dense:0"];
        CollectionAssert.AreEqual(before.Shape, after.Shape);
        CollectionAssert.AreEqual(before.Floats, after.Floats);
    }
}
