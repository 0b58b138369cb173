using OnnxKit.Inference;
using OnnxKit.Interop;
using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>
/// The backend data's <c>light</c> CNNs (AlexNet, DenseNet-121, Inception v1/v2, ResNet-50, ShuffleNet, SqueezeNet,
/// VGG-19, ZFNet-512; opset 9, weights as ConstantOfShape): imported, fully shape-inferred, and run on the input the ONNX
/// test runner feeds them (arange(n).reshape(shape) / n), matching the expected output.
/// </summary>
[TestClass]
public sealed class LightModelTests
{
    public static IEnumerable<object[]> Models => BackendData.LightModels();

    [TestMethod, DynamicData(nameof(Models))]
    public void LoadsInfersAndMatches(string name)
    {
        string dir = BackendData.Require("light");
        var imported = ModelImporter.Load(Path.Combine(dir, name + ".onnx"));
        var model = imported.Model;
        Assert.AreEqual((long)InteropInfo.CanonicalOpset, model.Opset);
        Assert.AreEqual(0, imported.ShapeIssues.Count, $"{name}: shape inference: {string.Join("; ", imported.ShapeIssues)}");
        var b = GraphBuilder.Attach(model);
        foreach (var o in model.Graph.Outputs)
            Assert.IsTrue(b[o.Name].Shape is { IsFullyKnown: true }, $"{name}: output '{o.Name}' inferred as {b[o.Name].Type}");

        var fed = BackendData.FedInputs(model);
        Assert.AreEqual(1, fed.Count, $"{name}: one fed input expected, got {string.Join(", ", fed.Select(f => f.Name))}");
        var shape = TensorType.FromProto(fed[0].Type)!.Shape!.Select(d => d.Value ?? 1).ToArray();
        long n = shape.Aggregate(1L, (a, d) => a * d);
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)((double)i / n);

        var expected = BackendData.ReadTensor(Path.Combine(dir, name + "_output_0.pb"));
        using var predictor = Predictor.FromBytes(model.ToBytes(), new PredictorOptions { Name = name, IntraOpThreads = 1 });
        var y = predictor.Predict(new Dictionary<string, TensorValue> { [fed[0].Name] = TensorValue.FromFloats(x, shape) })[model.Graph.Outputs[0].Name];
        CollectionAssert.AreEqual(expected.Dims.ToArray(), y.Shape, $"{name}: output shape");
        Compare.Close(TensorData.ToDoubleArray(expected), y.ToDoubles(), 1e-5, 1e-3, $"{name}: output 0");
    }
}
