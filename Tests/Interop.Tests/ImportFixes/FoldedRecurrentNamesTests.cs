using OnnxKit.Interop.Transfer;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;

namespace OnnxKit.Tests.Interop.ImportFixes;

/// <summary>
/// A two-layer bidirectional LSTM as PyTorch's exporter writes it with constant folding: nodes <c>/lstm/LSTM</c> and
/// <c>/lstm/LSTM_1</c> reading folded tensors <c>onnx::LSTM_N</c> (directions joined, gates in ONNX's order i, o, f, c).
/// The import names the parameters as <c>nn.LSTM</c>'s state_dict, with the gate blocks in PyTorch's order i, f, g, o
/// (checked block by block against a hand-written map), and its replay computes the file's outputs.
/// </summary>
[TestClass]
public sealed class FoldedRecurrentNamesTests
{
    private const int Steps = 5, Batch = 2, Features = 4, Hidden = 3;

    [TestMethod]
    public void FoldedLstmLayersGetTheStateDictNamesOfTheirLayerAndDirection()
    {
        var rng = new Random(11);
        float[] Random(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var g = new GraphBuilder("folded");
        var stored = new Dictionary<string, (float[] Data, long[] Dims)>();
        Value Folded(string name, params long[] dims)
        {
            var data = Random(dims.Aggregate(1L, (a, d) => a * d));
            stored[name] = (data, dims);
            return g.Initializer(TensorData.FromFloats(name, data, dims));
        }
        var x = g.Input("input", ElementType.Float32, Dim.Of(Steps), Dim.Of(Batch), Dim.Of(Features));
        var options = (Value b) => new RecurrentOptions { Bias = b, Direction = RecurrentDirection.Bidirectional };
        var y0 = Op.Lstm(x, Folded("onnx::LSTM_10", 2, 4 * Hidden, Features), Folded("onnx::LSTM_11", 2, 4 * Hidden, Hidden), options(Folded("onnx::LSTM_12", 2, 8 * Hidden)))[0];
        var h = Op.Reshape(Op.Transpose(y0, 0, 2, 1, 3), 0, 0, -1);
        var y1 = Op.Lstm(h, Folded("onnx::LSTM_20", 2, 4 * Hidden, 2 * Hidden), Folded("onnx::LSTM_21", 2, 4 * Hidden, Hidden), options(Folded("onnx::LSTM_22", 2, 8 * Hidden)))[0];
        g.Output(y1, "output");
        var file = g.Build();
        var lstms = file.Graph.Nodes.Where(n => n.OpType == "LSTM").ToList();
        lstms[0].Name = "/lstm/LSTM"; lstms[1].Name = "/lstm/LSTM_1";

        var model = file.MakeTrainable();
        var names = model.Parameters().Select(p => p.FullName).ToHashSet();
        var expected = new[] { 0, 1 }.SelectMany(l => new[] { "", "_reverse" }.SelectMany(s => new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }.Select(w => $"lstm.{w}_l{l}{s}"))).ToHashSet();
        Assert.IsTrue(expected.SetEquals(names), string.Join(", ", names));

        // PyTorch's gate block k (i, f, g, o) is ONNX's block OnnxBlock[k] (ONNX i, o, f, c).
        int[] onnxBlock = [0, 2, 3, 1];
        float[] Expected(string storedName, int direction, int half)
        {
            var (data, dims) = stored[storedName];
            long perDirection = data.Length / dims[0], size = perDirection / (dims.Length == 2 ? 2 : 1), block = size / 4;
            long start = direction * perDirection + half * size;
            return Enumerable.Range(0, 4).SelectMany(k => data.Skip((int)(start + onnxBlock[k] * block)).Take((int)block)).ToArray();
        }
        var p = model.Parameters().ToDictionary(q => q.FullName);
        CollectionAssert.AreEqual(Expected("onnx::LSTM_10", 0, 0), p["lstm.weight_ih_l0"].Data);
        CollectionAssert.AreEqual(Expected("onnx::LSTM_11", 1, 0), p["lstm.weight_hh_l0_reverse"].Data);
        CollectionAssert.AreEqual(Expected("onnx::LSTM_12", 0, 1), p["lstm.bias_hh_l0"].Data);
        CollectionAssert.AreEqual(Expected("onnx::LSTM_20", 1, 0), p["lstm.weight_ih_l1_reverse"].Data);
        CollectionAssert.AreEqual(Expected("onnx::LSTM_22", 1, 0), p["lstm.bias_ih_l1_reverse"].Data);
        CollectionAssert.AreEqual(new long[] { 4 * Hidden, 2 * Hidden }, p["lstm.weight_ih_l1"].Shape);
        Assert.IsTrue(model.Report.Any(r => r.Contains("onnx::LSTM_20 → lstm.weight_ih_l1 + lstm.weight_ih_l1_reverse")), string.Join("\n", model.Report));

        // The replay rebuilds the folded tensors from the parameters: the file's outputs, exactly.
        var input = HostTensor.F32("input", Random(Steps * Batch * Features), Steps, Batch, Features);
        var original = OrtRun.Run(file, input)["output"].Floats;
        var replayed = OrtRun.Run(TrainingArtifacts.BuildInference(model, model.InputType), input)["output"].Floats;
        CollectionAssert.AreEqual(original, replayed);
    }

    [TestMethod]
    public void AWeightSlotOfTheWrongRankKeepsItsExporterNameAndTheOthersAreStillRecovered()
    {
        var g = new GraphBuilder("malformed");
        var x = g.Input("input", ElementType.Float32, Dim.Of(Steps), Dim.Of(Batch), Dim.Of(Features));
        Value Folded(string name, params long[] dims) =>
            g.Initializer(TensorData.FromFloats(name, new float[dims.Aggregate(1L, (a, d) => a * d)], dims));
        var y = Op.Lstm(x, Folded("onnx::LSTM_1", 1, 4 * Hidden, Features), Folded("onnx::LSTM_2", 1, 4 * Hidden, Hidden),
            new RecurrentOptions { Bias = Folded("onnx::LSTM_3", 1, 8 * Hidden) })[0];
        g.Output(y, "output");
        var file = g.Build();
        file.Graph.Nodes.Single(n => n.OpType == "LSTM").Name = "/lstm/LSTM";
        // A malformed file: the bias slot holds a 1-D tensor of one value (as many as directions) where ONNX's LSTM takes
        // [directions, 8·hidden].
        var bias = file.Graph.FindInitializer("onnx::LSTM_3")!.Proto;
        bias.Dims.Clear();
        bias.Dims.Add(1);
        bias.FloatData.Clear();
        bias.RawData = Google.Protobuf.ByteString.CopyFrom(new byte[sizeof(float)]);

        var recovered = RecurrentWeightNames.Recover(file.Graph);
        CollectionAssert.AreEquivalent(new[] { "onnx::LSTM_1", "onnx::LSTM_2" }, recovered.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { "lstm.weight_ih_l0" }, recovered["onnx::LSTM_1"].Parameters.ToArray());
    }
}
