using OnnxKit.Inference;
using OnnxKit.Interop;
using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>
/// Every PyTorch-exported case of the ONNX backend test data: imported (upgraded to the canonical opset), round-tripped
/// through the IR byte for byte, run in <see cref="Predictor"/>, outputs within rtol 1e-3 / atol 1e-5 of the expected.
/// </summary>
[TestClass]
public sealed class BackendCaseTests
{
    public static IEnumerable<object[]> Converted => BackendData.Cases("pytorch-converted");
    public static IEnumerable<object[]> Operator => BackendData.Cases("pytorch-operator");

    [TestMethod, DynamicData(nameof(Converted))]
    public void PytorchConverted(string folder, string name) => Check(folder, name);

    [TestMethod, DynamicData(nameof(Operator))]
    public void PytorchOperator(string folder, string name) => Check(folder, name);

    internal static void Check(string folder, string name)
    {
        string caseDir = Path.Combine(BackendData.Require(folder), name);
        var imported = ModelImporter.Load(Path.Combine(caseDir, "model.onnx"));
        var model = imported.Model;
        Assert.AreEqual((long)InteropInfo.CanonicalOpset, model.Opset, $"{name}: opset after import");
        Assert.AreEqual(0, imported.ShapeIssues.Count, $"{name}: shape inference: {string.Join("; ", imported.ShapeIssues)}");

        // Round trip: bytes → IR → bytes is the identity.
        var bytes = model.ToBytes();
        CollectionAssert.AreEqual(bytes, OnnxModel.FromBytes(bytes).ToBytes(), $"{name}: IR round trip changed the bytes");

        var fed = BackendData.FedInputs(model);
        using var predictor = Predictor.FromBytes(bytes, new PredictorOptions { Name = name, IntraOpThreads = 1 });
        int sets = 0;
        foreach (var (set, inputs, outputs) in BackendData.DataSets(caseDir))
        {
            Assert.AreEqual(fed.Count, inputs.Count, $"{name}/{set}: the model takes {fed.Count} inputs, the data set has {inputs.Count}");
            var feed = fed.Select((v, k) => (v.Name, BackendData.ToValue(inputs[k]))).ToDictionary(x => x.Name, x => x.Item2);
            var result = predictor.Predict(feed);
            Assert.AreEqual(outputs.Count, model.Graph.Outputs.Count, $"{name}/{set}: expected outputs");
            for (int k = 0; k < outputs.Count; k++)
            {
                var actual = result[model.Graph.Outputs[k].Name];
                CollectionAssert.AreEqual(outputs[k].Dims.ToArray(), actual.Shape, $"{name}/{set}: shape of output {k}");
                Compare.Close(TensorData.ToDoubleArray(outputs[k]), actual.ToDoubles(), 1e-5, 1e-3, $"{name}/{set}: output {k}");
            }
            sets++;
        }
        Assert.IsTrue(sets > 0, $"{name}: no test_data_set folders");
    }
}
