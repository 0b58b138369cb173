using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>
/// The recurrent layers against PyTorch 1.13's nn.LSTM / nn.GRU / nn.RNN (Tests/scripts/recurrent_reference.py, float64):
/// each layer's parameters are loaded into the torch module with <c>load_state_dict(strict=True)</c> under their own
/// names, so names, shapes and gate order must all be PyTorch's. The output of the inference graph (ONNX Runtime's
/// kernels) and of the gradient graph (the unrolled steps that replace them) agree with torch's to 1e-5, and so do h_n
/// and c_n; the gradient of every parameter of Σ y·w_y + Σ h_n·w_h (+ Σ c_n·w_c) agrees with torch autograd to 1e-4 of
/// that parameter's largest gradient. All cases go to one Python process (importing torch dominates the cost).
/// </summary>
[TestClass]
public sealed class RecurrentLayerTorchTests
{
    private const int B = 2, T = 4, I = 3, H = 3;

    private sealed record Case(string Kind, RecurrentLayer Layer, object Args, bool InitialStates);

    [TestMethod]
    public void LstmGruAndRnnLayersMatchTorchOutputsAndAutograd()
    {
        Python.Require("torch");
        Case[] cases =
        [
            new("LSTM", new Lstm(H, numLayers: 2, bidirectional: true, batchFirst: true, dropout: 0.3),
                new { input_size = I, hidden_size = H, num_layers = 2, bidirectional = true, batch_first = true, dropout = 0.3 }, true),
            new("LSTM", new Lstm(H), new { input_size = I, hidden_size = H }, false),
            new("GRU", new Gru(H), new { input_size = I, hidden_size = H }, false),
            new("GRU", new Gru(H, bidirectional: true, batchFirst: true), new { input_size = I, hidden_size = H, bidirectional = true, batch_first = true }, true),
            new("RNN", new Rnn(H, numLayers: 2, bidirectional: true, relu: true),
                new { input_size = I, hidden_size = H, num_layers = 2, bidirectional = true, nonlinearity = "relu" }, false),
        ];
        var runs = cases.Select((c, k) => Run(c, new Random(100 + k))).ToList();

        string dir = Path.Combine(Path.GetTempPath(), "onnxkit-recurrent-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string casesPath = Path.Combine(dir, "cases.json"), outPath = Path.Combine(dir, "out.json");
            File.WriteAllText(casesPath, JsonSerializer.Serialize(runs.Select(r => r.Request)));
            Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "recurrent_reference.py"), casesPath, outPath);
            using var reference = JsonDocument.Parse(File.ReadAllText(outPath));
            static double[] Flat(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int k = 0; k < cases.Length; k++)
            {
                var (kind, layer, ours, inference) = (cases[k].Kind, cases[k].Layer, runs[k].Ours, runs[k].Inference);
                var expected = reference.RootElement[k];
                string what = $"case {k} ({kind}, {layer.NumLayers} layer(s){(layer.Bidirectional ? ", bidirectional" : "")}{(layer.BatchFirst ? ", batch-first" : "")})";
                Compare.Close(Flat(expected.GetProperty("y")), inference["y"].Doubles, 1e-5, 0, $"{what}: output of the inference graph");
                Compare.Close(Flat(expected.GetProperty("y")), ours["y"].Doubles, 1e-5, 0, $"{what}: output of the gradient graph");
                Compare.Close(Flat(expected.GetProperty("h")), ours["h"].Doubles, 1e-5, 0, $"{what}: h_n");
                if (layer is Lstm) Compare.Close(Flat(expected.GetProperty("c")), ours["c"].Doubles, 1e-5, 0, $"{what}: c_n");
                foreach (var p in layer.Parameters())
                {
                    var grad = Flat(expected.GetProperty("grads").GetProperty(p.FullName));
                    Compare.Close(grad, ours["grad." + p.FullName].Doubles, 1e-4 * Math.Max(1e-3, grad.Max(Math.Abs)), 0, $"{what}: gradient of {p.FullName}");
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    // Builds and runs the inference graph and the gradient graph of one case; returns them with the request for torch.
    private static (Dictionary<string, object> Request, Dictionary<string, HostTensor> Ours, Dictionary<string, HostTensor> Inference) Run(Case c, Random rnd)
    {
        double[] Rand(long n) => Enumerable.Range(0, (int)n).Select(_ => rnd.NextDouble() * 2 - 1).ToArray();
        var layer = c.Layer;
        int d = layer.Bidirectional ? 2 : 1, states = layer.NumLayers * d;
        long[] xShape = layer.BatchFirst ? [B, T, I] : [T, B, I];
        bool lstm = layer is Lstm;
        var xs = Rand(T * B * I); var hs = Rand(states * B * H); var cs = Rand(states * B * H);
        var wy = Rand(T * B * d * H); var wh = Rand(states * B * H); var wc = Rand(states * B * H);
        var feeds = new List<HostTensor> { HostTensor.F32("x", Floats(xs), xShape) };
        if (c.InitialStates) feeds.Add(HostTensor.F32("h0", Floats(hs), states, B, H));
        if (c.InitialStates && lstm) feeds.Add(HostTensor.F32("c0", Floats(cs), states, B, H));

        (Value Y, Value H, Value? C) Forward(GraphBuilder g) => layer.Run(g.Input("x", ElementType.Float32, xShape.Select(v => (Dim)v).ToArray()),
            c.InitialStates ? g.Input("h0", ElementType.Float32, states, B, H) : null,
            c.InitialStates && lstm ? g.Input("c0", ElementType.Float32, states, B, H) : null);

        var inference = new GraphBuilder("rnn_inference");
        inference.Output(Forward(inference).Y, "y");

        var g = new GraphBuilder("rnn_gradients");
        var (y, h, cn) = Forward(g);
        Value Weighted(Value v, double[] w) => Op.ReduceSum(Op.Reshape(v, -1) * g.Constant(TensorData.FromFloats("", Floats(w), w.Length)), [0], keepDims: false);
        var loss = Weighted(y, wy) + Weighted(h, wh);
        if (cn is not null) loss = loss + Weighted(cn, wc);
        var parameters = layer.Parameters().ToList();
        var grads = Gradients.Build(g, loss, parameters.Select(p => p.FullName));
        g.Output(y, "y"); g.Output(h, "h");
        if (cn is not null) g.Output(cn, "c");
        foreach (var p in parameters) g.Output(grads[p.FullName], "grad." + p.FullName);

        var request = new Dictionary<string, object>
        {
            ["kind"] = c.Kind, ["args"] = c.Args, ["x"] = xs, ["x_shape"] = xShape, ["w_y"] = wy, ["w_h"] = wh, ["w_c"] = wc,
            ["state_dict"] = parameters.ToDictionary(p => p.FullName, p => p.Data),
        };
        if (c.InitialStates) { request["h0"] = hs; if (lstm) request["c0"] = cs; }
        return (request, OrtRun.Run(g.Build(), [.. feeds]), OrtRun.Run(inference.Build(), [.. feeds]));
    }

    private static float[] Floats(double[] v) => v.Select(e => (float)e).ToArray();
}
