using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>
/// Runs OnnxKit graphs on ONNX Runtime and the same computation in PyTorch 1.13 (Tests/scripts/layers_reference.py),
/// which loads the graph's initializers as the torch module's state_dict with strict=True, and compares the outputs.
/// </summary>
internal sealed class TorchCheck
{
    private sealed record Case(string Name, OnnxModel Model, HostTensor[] Inputs, string Module, bool Train, (string Name, string Expr)[] Outputs, double Atol);

    private readonly List<Case> _cases = [];

    /// <summary>Adds a case: <paramref name="torchModule"/> builds the reference module, <paramref name="outputs"/> name
    /// each graph output with the Python expression giving it (default: output "y" = m(x)).</summary>
    public TorchCheck Add(string name, OnnxModel model, string torchModule, HostTensor[] inputs, (string, string)[]? outputs = null, bool train = false, double atol = 1e-5)
    {
        _cases.Add(new Case(name, model, inputs, torchModule, train, outputs ?? [("y", "m(x)")], atol));
        return this;
    }

    /// <summary>Adds a single-layer case: input "x" of <paramref name="shape"/> filled with N(0, scale²) values, output "y".</summary>
    public TorchCheck Layer(string name, Module layer, string torchModule, long[] shape, double atol = 1e-5, int seed = 1, float scale = 1f) =>
        Add(name, LayersTesting.OneLayer(layer, shape), torchModule, [HostTensor.F32("x", LayersTesting.Randn(seed, shape, scale), shape)], atol: atol);

    /// <summary>Runs every case on ORT and PyTorch and fails listing every case out of tolerance; returns the max error per case.</summary>
    public Dictionary<string, double> Run()
    {
        Python.Require("torch", "onnx");
        var root = Directory.CreateTempSubdirectory("onnxkit-layers-");
        try
        {
            var ort = new Dictionary<string, Dictionary<string, HostTensor>>();
            foreach (var c in _cases)
            {
                var dir = Directory.CreateDirectory(Path.Combine(root.FullName, c.Name)).FullName;
                c.Model.Save(Path.Combine(dir, "model.onnx"));
                var inputs = c.Inputs.Select(t => new { name = t.Name, file = t.Name + ".bin", dtype = DType(t), shape = t.Shape }).ToArray();
                foreach (var t in c.Inputs) File.WriteAllBytes(Path.Combine(dir, t.Name + ".bin"), Bytes(t));
                var json = JsonSerializer.Serialize(new { module = c.Module, train = c.Train, inputs, outputs = c.Outputs.ToDictionary(o => o.Name, o => o.Expr) });
                File.WriteAllText(Path.Combine(dir, "case.json"), json);
                ort[c.Name] = OrtRun.Run(c.Model, c.Inputs);
            }
            Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "layers_reference.py"), root.FullName);
            var errors = new Dictionary<string, double>();
            var failures = new StringBuilder();
            foreach (var c in _cases)
            {
                var dir = Path.Combine(root.FullName, c.Name);
                var shapes = JsonSerializer.Deserialize<Dictionary<string, long[]>>(File.ReadAllText(Path.Combine(dir, "outputs.json")))!;
                double worst = 0;
                foreach (var (outName, _) in c.Outputs)
                {
                    var expected = LayersTesting.ReadFloats(Path.Combine(dir, outName + ".out.bin"));
                    var actual = ort[c.Name][outName];
                    string shapeT = string.Join(",", shapes[outName]), shapeO = string.Join(",", actual.Shape);
                    // A 0-d torch result and a [1] ORT result are the same value; otherwise shapes must agree.
                    if (shapeT != shapeO && !(expected.Length == 1 && actual.Floats.Length == 1))
                    { failures.AppendLine($"{c.Name}/{outName}: shape torch [{shapeT}] vs ORT [{shapeO}]"); continue; }
                    double err = MaxAbs(expected, actual.Floats);
                    worst = Math.Max(worst, err);
                    if (!(err <= c.Atol)) failures.AppendLine($"{c.Name}/{outName}: max |torch − ORT| = {err:G3} > {c.Atol:G3}");
                }
                errors[c.Name] = worst;
                Console.WriteLine($"{c.Name}: max abs error {worst:G3}");
            }
            if (failures.Length > 0) Assert.Fail(failures.ToString());
            return errors;
        }
        finally { root.Delete(true); }
    }

    // NaN in the same place (a fully masked attention row) counts as equal; NaN against a number is an infinite error.
    private static double MaxAbs(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (float.IsNaN(a[i]) && float.IsNaN(b[i])) continue;
            if (float.IsNaN(a[i]) || float.IsNaN(b[i])) return double.PositiveInfinity;
            if (float.IsInfinity(a[i]) && a[i] == b[i]) continue;
            m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        }
        return m;
    }

    private static string DType(HostTensor t) => t.Data switch { float[] => "float32", long[] => "int64", bool[] => "bool", _ => throw new NotSupportedException(t.Data.GetType().Name) };

    private static byte[] Bytes(HostTensor t) => t.Data switch
    {
        float[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()).ToArray(),
        long[] l => System.Runtime.InteropServices.MemoryMarshal.AsBytes(l.AsSpan()).ToArray(),
        bool[] b => b.Select(v => v ? (byte)1 : (byte)0).ToArray(),
        _ => throw new NotSupportedException(t.Data.GetType().Name),
    };
}

/// <summary>Small helpers shared by the layer tests.</summary>
internal static class LayersTesting
{
    /// <summary>A graph with input "x" (float32, <paramref name="shape"/>) and output "y" = layer(x).</summary>
    public static OnnxModel OneLayer(Module layer, long[] shape, bool training = false, Dim[]? inputDims = null)
    {
        var g = new GraphBuilder(layer.GetType().Name) { Training = training };
        var x = g.Input("x", ElementType.Float32, inputDims ?? shape.Select(Dim.Of).ToArray());
        g.Output(layer.Call(x), "y");
        return Finish(g);
    }

    /// <summary>
    /// Builds the model, dropping the declared type of outputs whose element type inference could not tell
    /// (ops still without a shape rule): ORT refuses element type 0 but infers a missing type itself.
    /// </summary>
    public static OnnxModel Finish(GraphBuilder g)
    {
        var model = g.Build();
        foreach (var o in model.Graph.Outputs)
            if (o.Type?.TensorType is { } t && t.ElemType == 0) o.Type = null;
        return model;
    }

    /// <summary>Deterministic N(0, scale²) values.</summary>
    public static float[] Randn(int seed, long[] shape, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[shape.Aggregate(1L, (p, d) => p * d)];
        for (int i = 0; i < a.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            a[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return a;
    }

    /// <summary>Reads raw little-endian float32 values.</summary>
    public static float[] ReadFloats(string path) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
}

[TestClass]
public sealed class LayersReferenceTests
{
    [TestMethod]
    public void SequentialParameterNamesAreTorchStateDictKeys()
    {
        Python.Require("torch");
        var model = new Sequential(new Conv2d(3, 8, 3, padding: 1), new BatchNorm2d(8), new ReLU(), new Flatten(), new Dense(10, inFeatures: 8 * 6 * 6));
        var ours = model.Parameters().Select(p => $"{p.FullName}:{string.Join("x", p.Shape)}").ToList();
        var (code, stdout, stderr) = Python.RunCode(
            "import torch.nn as nn\n" +
            "m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8*6*6, 10))\n" +
            "for k, v in m.state_dict().items():\n" +
            "    if not k.endswith('num_batches_tracked'): print(k + ':' + 'x'.join(str(d) for d in v.shape))\n");
        Assert.AreEqual(0, code, stderr);
        var torch = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        CollectionAssert.AreEqual(torch, ours, $"torch: {string.Join(", ", torch)}\nours: {string.Join(", ", ours)}");
    }

    [TestMethod]
    public void TransformerAndAttentionParameterNamesAreTorchStateDictKeys()
    {
        Python.Require("torch");
        var layer = new TransformerEncoderLayer(16, 4, dimFeedforward: 32);
        var ours = layer.Parameters().Select(p => $"{p.FullName}:{string.Join("x", p.Shape)}").ToList();
        var (code, stdout, stderr) = Python.RunCode(
            "import torch.nn as nn\n" +
            "m = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)\n" +
            "for k, v in m.state_dict().items(): print(k + ':' + 'x'.join(str(d) for d in v.shape))\n");
        Assert.AreEqual(0, code, stderr);
        var torch = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        CollectionAssert.AreEqual(torch, ours, $"torch: {string.Join(", ", torch)}\nours: {string.Join(", ", ours)}");
    }
}
