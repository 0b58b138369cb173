using Microsoft.ML.OnnxRuntime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Autodiff;

/// <summary>One input of a gradient-check case: declared shape (may be symbolic or unknown), concrete shape fed, data.</summary>
internal sealed record In(string Name, Dim[] Declared, long[] Concrete)
{
    /// <summary>Fixed data (else random in ±[0.1, 1]); for int64 inputs required.</summary>
    public double[]? Data { get; init; }
    /// <summary>Maps each random value (e.g. to positive numbers for Log).</summary>
    public Func<double, double>? Map { get; init; }
    /// <summary>Element type; float inputs take the case's precision.</summary>
    public bool Int64 { get; init; }
    /// <summary>Whether the gradient with respect to this input is checked.</summary>
    public bool Trainable { get; init; } = true;

    public static In Of(string name, params Dim[] dims) => new(name, dims, dims.Select(d => d.Value ?? 2).ToArray());
    public In Feed(params long[] concrete) => this with { Concrete = concrete };
}

/// <summary>A small graph to check: its inputs and its forward function.</summary>
internal sealed record GradCase(In[] Inputs, Func<GraphBuilder, Value[], Value> Forward)
{
    /// <summary>Run in float32 (ORT's CPU provider has no float64 kernel for the op): central differences with step 1e-2, rtol 1e-2.</summary>
    public bool Float32 { get; init; }
    public int Opset { get; init; } = 17;
    /// <summary>
    /// For an op without float64 kernels whose rule rewrites the forward pass in ops that have them (RNN, GRU, LSTM
    /// unrolled): the central differences are taken of the gradient graph's own forward pass, in float64. A Float32 case
    /// of the same graph checks that rewritten forward against the op itself.
    /// </summary>
    public bool DifferencesOfRewrittenForward { get; init; }
}

/// <summary>
/// Finite-difference gradient checker. The loss is Σ y·w with fixed random weights w, so every output element
/// matters; the gradient graph built by <see cref="Gradients.Build"/> runs on ONNX Runtime and is compared with
/// central differences of the forward graph, also run on ONNX Runtime. Float64 cases: step 1e-6, rtol 1e-5.
/// Float32 cases (ops without float64 kernels on ONNX Runtime 1.31's CPU provider: Conv, ConvTranspose, AveragePool, the
/// global poolings, BatchNormalization, InstanceNormalization, Erf, Elu, Selu, Softplus, Softsign, HardSigmoid, Mean,
/// Einsum): step 1e-2, rtol 1e-2.
/// </summary>
internal static class GradCheck
{
    public static void Check(string name, GradCase c)
    {
        var rnd = new Random(12345);
        var type = c.Float32 ? ElementType.Float32 : ElementType.Float64;
        var data = c.Inputs.ToDictionary(i => i.Name, i =>
        {
            long n = i.Concrete.Aggregate(1L, (a, d) => a * d);
            if (i.Data is { } d) { Assert.AreEqual(n, d.Length, $"{name}: data of {i.Name}"); return (double[])d.Clone(); }
            return Enumerable.Range(0, (int)n).Select(_ =>
            {
                double v = (rnd.NextDouble() * 0.9 + 0.1) * (rnd.Next(2) == 0 ? -1 : 1);
                return i.Map is null ? v : i.Map(v);
            }).ToArray();
        });

        // Output shape first, to draw the loss weights.
        var (probe, _) = Build(c, type, null, withGradients: false);
        var y = RunAll(probe, c, data, type, null)["fd_y"];
        var weights = Enumerable.Range(0, (int)y.Shape.Aggregate(1L, (a, d) => a * d)).Select(_ => rnd.NextDouble() * 2 - 1).ToArray();

        var (gradModel, trainables) = Build(c, type, weights.Length, withGradients: true, name);
        var analytic = RunAll(gradModel, c, data, type, weights);
        var (lossModel, _) = c.DifferencesOfRewrittenForward ? (gradModel, trainables) : Build(c, type, weights.Length, withGradients: false);

        bool f32 = c.Float32;
        double h = f32 ? 1e-2 : 1e-6, rtol = f32 ? 1e-2 : 1e-5, atol = f32 ? 2e-3 : 1e-7;
        using var opts = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(lossModel.ToBytes(), opts);
        double Loss(Dictionary<string, double[]> d) => Run(session, c, d, type, weights)["fd_loss"].Doubles[0];
        // Rules may recompute a forward value in the gradient graph (ForwardRewrite): its loss must be the plain graph's.
        double plain = Loss(data), rewritten = analytic["fd_loss"].Doubles[0];
        if (!c.DifferencesOfRewrittenForward) Assert.AreEqual(plain, rewritten, (f32 ? 1e-5 : 1e-12) * Math.Max(1, Math.Abs(plain)), $"{name}: the gradient graph's forward pass computes another loss");
        foreach (var t in trainables)
        {
            var grad = analytic["fd_grad_" + t].Doubles;
            var x = data[t];
            Assert.AreEqual(x.Length, grad.Length, $"{name}: gradient of '{t}' has {grad.Length} elements, the input {x.Length}");
            var numeric = new double[x.Length];
            for (int k = 0; k < x.Length; k++)
            {
                double keep = x[k];
                x[k] = keep + h; double up = Loss(data);
                x[k] = keep - h; double down = Loss(data);
                x[k] = keep;
                numeric[k] = (up - down) / (2 * h);
            }
            double scale = Math.Max(1, numeric.Max(Math.Abs));
            Compare.Close(numeric, grad, atol * scale, rtol, $"{name}: d loss / d {t} ({(f32 ? "float32" : "float64")})");
        }
    }

    private static (OnnxModel Model, List<string> Trainables) Build(GradCase c, ElementType type, int? weightCount, bool withGradients, string name = "")
    {
        var g = new GraphBuilder("check", c.Opset);
        var xs = c.Inputs.Select(i => g.Input(i.Name, i.Int64 ? ElementType.Int64 : type, i.Declared)).ToArray();
        var y = c.Forward(g, xs);
        var trainables = c.Inputs.Where(i => i.Trainable && !i.Int64).Select(i => i.Name).ToList();
        if (weightCount is null)
        {
            g.Output(y, "fd_y");
            // Building any gradient makes the rule rewrite the forward pass (the gradients themselves are not read).
            if (c.DifferencesOfRewrittenForward) Gradients.Build(g, Op.ReduceSum(Op.Reshape(y, -1), [0], keepDims: false), trainables);
            return (Typed(g.Build(), type), []);
        }
        var w = g.Input("fd_w", type, weightCount.Value);
        var loss = g.Output(Op.MatMul(w, Op.Reshape(y, -1)), "fd_loss");
        if (withGradients)
            foreach (var (n, v) in Gradients.Build(g, loss, trainables)) g.Output(v, "fd_grad_" + n);
        var model = Typed(g.Build(), type);
        if (withGradients && Environment.GetEnvironmentVariable("ONNXKIT_DUMP_GRADCHECK") is { Length: > 0 } dir) model.Save(Path.Combine(dir, name + ".onnx"));
        return (model, trainables);
    }

    // Outputs whose producer has no shape rule yet are declared with the case's element type and no shape.
    private static OnnxModel Typed(OnnxModel model, ElementType type)
    {
        foreach (var o in model.Graph.Outputs)
            if (o.Type.TensorType.ElemType == 0) { o.Type.TensorType.ElemType = (int)type; o.Type.TensorType.Shape = null; }
        return model;
    }

    private static Dictionary<string, HostTensor> RunAll(OnnxModel model, GradCase c, Dictionary<string, double[]> data, ElementType type, double[]? weights)
    {
        using var opts = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToBytes(), opts);
        return Run(session, c, data, type, weights);
    }

    private static Dictionary<string, HostTensor> Run(InferenceSession session, GradCase c, Dictionary<string, double[]> data, ElementType type, double[]? weights)
    {
        var feeds = c.Inputs.Select(i => Tensor(i.Name, i.Int64 ? ElementType.Int64 : type, data[i.Name], i.Concrete)).ToList();
        if (weights is not null) feeds.Add(Tensor("fd_w", type, weights, [weights.Length]));
        var values = feeds.Select(OrtRun.ToOrt).ToList();
        try
        {
            using var outs = session.Run(new RunOptions(), feeds.Select(f => f.Name).ToArray(), values, session.OutputNames);
            return session.OutputNames.Select((n, k) => OrtRun.FromOrt(n, outs[k])).ToDictionary(t => t.Name);
        }
        finally { foreach (var v in values) v.Dispose(); }
    }

    private static HostTensor Tensor(string name, ElementType type, double[] d, long[] shape) => type switch
    {
        ElementType.Float32 => HostTensor.F32(name, d.Select(v => (float)v).ToArray(), shape),
        ElementType.Float64 => HostTensor.F64(name, d, shape),
        _ => HostTensor.I64(name, d.Select(v => (long)v).ToArray(), shape),
    };
}

/// <summary>Inputs shared by the gradient-check families.</summary>
internal static class GradInputs
{
    public static readonly Dim U = Dim.Unknown;
    public static readonly Func<double, double> Positive = v => Math.Abs(v) + 0.5;
    public static In Labels(string name, double[] data, params Dim[] dims) => In.Of(name, dims) with { Int64 = true, Data = data };
}
