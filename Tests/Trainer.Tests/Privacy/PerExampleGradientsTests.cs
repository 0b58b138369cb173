using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Privacy;

namespace OnnxKit.Tests.Privacy;

/// <summary>
/// Per-example gradient norms and the clipped, summed gradient built in the graph (run on ONNX Runtime, float32) against
/// PyTorch 1.13 computing every example's gradient in a loop (float64, the script below), on the same weights and batch.
/// The clipping norm is set to the median of the examples' norms, so that both clipped and unclipped examples occur.
/// </summary>
[TestClass]
public sealed class PerExampleGradientsTests
{
    private const string Script = """
import json, math, sys
import torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
def run(spec):
    W = {k: torch.tensor(v['data'], dtype=torch.float64).reshape(v['shape']).requires_grad_() for k, v in spec['weights'].items()}
    x = torch.tensor(spec['x'], dtype=torch.long if spec['case'] == 'embedding' else torch.float64).reshape(spec['x_shape'])
    y = torch.tensor(spec['y'], dtype=torch.long)
    names = sorted(W)
    norms, sums = [], {n: torch.zeros_like(W[n]) for n in names}
    for i in range(x.shape[0]):
        loss = F.cross_entropy(net(W, spec['case'], x[i:i + 1]), y[i:i + 1])
        grads = torch.autograd.grad(loss, [W[n] for n in names])
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads))
        c = min(1.0, spec['clip'] / (norm + 1e-6))
        for n, g in zip(names, grads): sums[n] += c * g
        norms.append(norm)
    return {'norms': norms, 'sums': {n: sums[n].detach().flatten().tolist() for n in names}}
def dense(W, h, n):
    return F.linear(h, W[n + '.weight'], W[n + '.bias'])
def attention(W, h, E=4, H=2):
    D = E // H
    q, k, v = (F.linear(h, w, b) for w, b in zip(W['0.in_proj_weight'].split(E), W['0.in_proj_bias'].split(E)))
    heads = lambda t: t.reshape(t.shape[0], t.shape[1], H, D).transpose(1, 2)
    a = torch.softmax(heads(q) / math.sqrt(D) @ heads(k).transpose(-1, -2), -1)
    ctx = (a @ heads(v)).transpose(1, 2).reshape(h.shape[0], h.shape[1], E)
    return dense(W, ctx, '0.out_proj')
def net(W, case, h):
    if case == 'mlp': return dense(W, torch.tanh(dense(W, h, '0')), '1')
    if case == 'sequence': return dense(W, torch.tanh(dense(W, torch.tanh(dense(W, h, '0')), '1')).flatten(1), '3')
    if case == 'conv2d':
        h = torch.tanh(F.conv2d(h, W['0.weight'], W['0.bias'], padding=1))
        return dense(W, torch.tanh(F.conv2d(h, W['2.weight'], W['2.bias'], stride=2)).flatten(1), '5')
    if case == 'conv1d': return dense(W, torch.tanh(F.conv1d(h, W['0.weight'], W['0.bias'])).flatten(1), '3')
    if case == 'embedding': return dense(W, F.embedding(h, W['0.weight']).flatten(1), '2')
    if case == 'layernorm': return dense(W, torch.tanh(F.layer_norm(dense(W, h, '0'), (5,), W['1.weight'], W['1.bias'])), '3')
    if case == 'layernorm3d': return dense(W, F.layer_norm(h, (4,), W['0.weight'], W['0.bias']).flatten(1), '2')
    if case == 'attention': return dense(W, attention(W, h).flatten(1), '2')
    raise ValueError(case)
print(json.dumps([run(spec) for spec in json.load(open(sys.argv[1]))]))
""";

    private const int Batch = 6;

    private static Module Net(string name) => name switch
    {
        "mlp" => new Sequential(new Dense(5, Activation.Tanh), new Dense(3)),
        // Dense on [B, 3, ·]: 5 → 4 takes the ghost norm (2·3² ≤ 20), 4 → 2 forms the per-example gradients (18 > 8).
        "sequence" => new Sequential(new Dense(4, Activation.Tanh), new Dense(2, Activation.Tanh), new Flatten(), new Dense(3)),
        // The first convolution forms per-example gradients (25 positions: 25·(18 + 3) > 3·18 multiplications), the second
        // takes the ghost norm (4 positions: 4·(27 + 8) < 8·27).
        "conv2d" => new Sequential(new Conv2d(2, 3, 3, padding: 1), new Tanh(), new Conv2d(3, 8, 3, stride: 2), new Tanh(), new Flatten(), new Dense(3)),
        "conv1d" => new Sequential(new Conv1d(2, 3, 3), new Tanh(), new Flatten(), new Dense(3)),
        "embedding" => new Sequential(new Embedding(7, 4), new Flatten(), new Dense(3)),
        "layernorm" => new Sequential(new Dense(5), new LayerNorm(5), new Tanh(), new Dense(3)),
        "layernorm3d" => new Sequential(new LayerNorm(4), new Flatten(), new Dense(3)),
        "attention" => new Sequential(new MultiHeadAttention(4, 2), new Flatten(), new Dense(3)),
        _ => throw new ArgumentException(name),
    };

    private static long[] SampleShape(string name) => name switch
    {
        "mlp" => [6], "sequence" => [3, 5], "conv2d" => [2, 5, 5], "conv1d" => [2, 6], "embedding" => [5],
        "layernorm" => [6], "layernorm3d" => [3, 4], "attention" => [3, 4], _ => throw new ArgumentException(name),
    };

    private static readonly string[] Cases = ["mlp", "sequence", "conv2d", "conv1d", "embedding", "layernorm", "layernorm3d", "attention"];

    private sealed record CaseResult(double Clip, Dictionary<string, HostTensor> Ours, List<string> Names, double[] Norms, Dictionary<string, double[]> Sums);

    private static Dictionary<string, CaseResult>? _results;
    private static readonly object Gate = new();

    // Every case is built and run here first; PyTorch then runs once for all of them (its start-up dominates).
    private static Dictionary<string, CaseResult> Results()
    {
        lock (Gate)
        {
            if (_results is not null) return _results;
            var ours = new Dictionary<string, (double Clip, Dictionary<string, HostTensor> Outputs, List<string> Names)>();
            var specs = new List<object>();
            foreach (var name in Cases)
            {
                var model = Net(name);
                long[] sample = SampleShape(name);
                var rnd = new Random(name.Length * 31 + 7);
                bool indices = name == "embedding";
                int size = (int)sample.Aggregate(1L, (a, d) => a * d);
                // Repeated indices within an example exercise the embedding's masked Gram.
                long[] ids = Enumerable.Range(0, Batch * size).Select(i => (long)(i % 3 == 0 ? 2 : rnd.Next(7))).ToArray();
                float[] xs = Enumerable.Range(0, Batch * size).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
                long[] labels = Enumerable.Range(0, Batch).Select(i => (long)(i % 3)).ToArray();
                HostTensor input = indices ? HostTensor.I64("x", ids, [Batch, .. sample]) : HostTensor.F32("x", xs, [Batch, .. sample]);
                var target = HostTensor.I64("target", labels, Batch);
                var (unclipped, names) = Run(model, sample, indices, 1e9, input, target);
                double clip = unclipped["norms"].Doubles.Order().ElementAt(Batch / 2);
                var (outputs, _) = Run(model, sample, indices, clip, input, target);
                ours[name] = (clip, outputs, names);
                var weights = model.Parameters().Where(p => names.Contains(p.FullName)).ToDictionary(p => p.FullName, p => new { data = p.Data, shape = p.Shape });
                specs.Add(new { @case = name, weights, x = indices ? (Array)ids : xs, x_shape = (long[])[Batch, .. sample], y = labels, clip });
            }
            string spec = Path.GetTempFileName(), script = Path.ChangeExtension(Path.GetTempFileName(), ".py");
            try
            {
                File.WriteAllText(spec, JsonSerializer.Serialize(specs));
                File.WriteAllText(script, Script);
                using var reference = JsonDocument.Parse(Python.RunScript(script, spec));
                _results = [];
                for (int i = 0; i < Cases.Length; i++)
                {
                    var r = reference.RootElement[i];
                    var (clip, outputs, names) = ours[Cases[i]];
                    _results[Cases[i]] = new CaseResult(clip, outputs, names, r.GetProperty("norms").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
                        names.ToDictionary(p => p, p => r.GetProperty("sums").GetProperty(p).EnumerateArray().Select(e => e.GetDouble()).ToArray()));
                }
            }
            finally { File.Delete(spec); File.Delete(script); }
            return _results;
        }
    }

    [TestMethod]
    [DataRow("mlp")]
    [DataRow("sequence")]
    [DataRow("conv2d")]
    [DataRow("conv1d")]
    [DataRow("embedding")]
    [DataRow("layernorm")]
    [DataRow("layernorm3d")]
    [DataRow("attention")]
    public void NormsAndClippedSumMatchPyTorchPerExampleLoops(string name)
    {
        Python.Require("torch");
        var r = Results()[name];
        Assert.IsTrue(r.Norms.Count(n => n > r.Clip) >= 2 && r.Norms.Count(n => n < r.Clip) >= 2, $"clip {r.Clip} should split the norms [{string.Join(", ", r.Norms)}]");
        Compare.Close(r.Norms, r.Ours["norms"].Doubles, 1e-5, 1e-5, $"{name}: per-example norms");
        foreach (var p in r.Names)
            Compare.Close(r.Sums[p], r.Ours[p + ".clipped"].Doubles, 1e-5, 1e-5, $"{name}: clipped sum of {p}");
    }

    // The choice is by multiplications per example: ghost L²·(C·k… + M) against L·M·C·k…, i.e. L·(C·k… + M) < M·C·k….
    [TestMethod]
    [DataRow(25L, 3L, 18L, false, DisplayName = "conv2d case, first convolution: per-example gradient")]
    [DataRow(4L, 8L, 27L, true, DisplayName = "conv2d case, second convolution: ghost norm")]
    [DataRow(4L, 3L, 6L, false, DisplayName = "conv1d case: per-example gradient")]
    [DataRow(196L, 16L, 64L, false, DisplayName = "cnn-tanh conv 1 (14×14 positions, 16 × 1·8·8): per-example gradient")]
    [DataRow(25L, 32L, 256L, true, DisplayName = "cnn-tanh conv 2 (5×5 positions, 32 × 16·4·4): ghost norm")]
    public void ConvolutionsTakeTheGhostNormOnlyWhereItNeedsFewerMultiplications(long positions, long outChannels, long unfolded, bool ghost)
    {
        Assert.AreEqual(positions * positions * (unfolded + outChannels) < positions * outChannels * unfolded, ghost, "hand-computed costs");
        Assert.AreEqual(ghost, ConvTap.UsesGhostNorm(positions, outChannels, unfolded));
    }

    private static (Dictionary<string, HostTensor> Outputs, List<string> Names) Run(Module model, long[] sample, bool indices, double clip, params HostTensor[] inputs)
    {
        var g = new GraphBuilder("per_example") { Training = true };
        var x = g.Input("x", indices ? ElementType.Int64 : ElementType.Float32, [Dim.Sym("batch"), .. sample.Select(d => Dim.Of(d))]);
        var y = model.Call(x);
        var loss = OnnxKit.Losses.SparseCategoricalCrossEntropy(fromLogits: true).Compute(y, g.Input("target", ElementType.Int64, Dim.Sym("batch")));
        var names = model.Parameters().Where(p => p.Trainable && g.Has(p.FullName)).Select(p => p.FullName).ToList();
        var result = PerExampleGradients.Build(g, loss, names, clip);
        g.Output(result.Norms, "norms");
        foreach (var n in names) g.Output(result.ClippedSums[n], n + ".clipped");
        return (OrtRun.Run(g.Build(), inputs), names);
    }
}
