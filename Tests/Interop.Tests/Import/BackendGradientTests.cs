using Microsoft.ML.OnnxRuntime;
using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Autodiff;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>
/// For each PyTorch backend case whose model has float initializers and only operators with gradient rules: the
/// gradients of a random weighting of its outputs with respect to every initializer, built by <see cref="Gradients.Build"/>
/// on the imported graph, agree with central finite differences (the autodiff tests' <c>GradCheck</c>): in float64 where
/// ONNX Runtime has float64 kernels for all its ops, else float32 with step 1e-2 and rtol 1e-2.
/// </summary>
[TestClass]
public sealed class BackendGradientTests
{
    /// <summary>The qualifying cases (each imported once at discovery to see its operators).</summary>
    public static IEnumerable<object[]> Cases =>
        BackendData.Cases("pytorch-converted").Concat(BackendData.Cases("pytorch-operator")).Where(c =>
        {
            var dir = BackendData.Folder((string)c[0]);
            return dir is null || Qualifies(ModelImporter.Load(Path.Combine(dir, (string)c[1], "model.onnx")).Model);
        });

    /// <summary>Whether a case is checked: float initializers, and every operator differentiable (or shape-only).</summary>
    internal static bool Qualifies(OnnxModel m) =>
        m.Graph.Initializers.Any(i => i.ElementType.IsFloat()) &&
        m.Graph.Nodes.All(n => GradientRegistry.Find(n.OpType) is not null || GradientRegistry.NonDifferentiable.Contains(n.OpType));

    [TestMethod, DynamicData(nameof(Cases))]
    public void GradientsMatchFiniteDifferences(string folder, string name)
    {
        string caseDir = Path.Combine(BackendData.Require(folder), name);
        var model = ModelImporter.Load(Path.Combine(caseDir, "model.onnx")).Model;
        if (!Qualifies(model))
            Assert.Inconclusive($"{name}: not a gradient case (no float initializers, or an operator without a gradient rule)");
        var (_, inputs, _) = BackendData.DataSets(caseDir).First();
        var fed = BackendData.FedInputs(model);

        var ins = new List<In>();
        foreach (var init in model.Graph.Initializers)
            ins.Add(new In(init.Name, init.Dims.Select(Dim.Of).ToArray(), init.Dims)
            {
                Data = TensorData.ToDoubleArray(init.ToInlineProto()),
                Int64 = !init.ElementType.IsFloat(),
                Trainable = init.ElementType.IsFloat(),
            });
        for (int k = 0; k < fed.Count; k++)
        {
            var t = inputs[k];
            var dims = t.Dims.ToArray();
            var data = TensorData.ToDoubleArray(t);
            // Large inputs are cut to their first batch row: the gradient rules do not depend on the batch size, and
            // finite differences run the model twice per weight element.
            if (data.Length > 10_000 && dims.Length > 1 && dims[0] > 1)
            {
                data = data[..(int)(data.Length / dims[0])];
                dims[0] = 1;
            }
            ins.Add(new In(fed[k].Name, dims.Select(Dim.Of).ToArray(), dims)
            {
                Data = data, Int64 = !((ElementType)t.DataType).IsFloat(), Trainable = false,
            });
        }
        bool float32 = !RunsInFloat64(model, ins);
        Console.WriteLine($"{name}: checked in {(float32 ? "float32" : "float64")}");
        GradCheck.Check(name, new GradCase(ins.ToArray(), (g, xs) => Replay(model, g, xs, float32 ? ElementType.Float32 : ElementType.Float64))
        { Float32 = float32, Opset = (int)model.Opset });
    }

    // Re-emits the imported graph's nodes on the checker's inputs, in the checker's float type; several outputs are
    // flattened and concatenated so that the checked loss weighs every element of every output.
    internal static Value Replay(OnnxModel model, GraphBuilder g, Value[] xs, ElementType floatType)
    {
        var values = xs.ToDictionary(v => v.Name);
        foreach (var n in model.Graph.Nodes)
        {
            var attrs = n.Attributes.Select(a => Convert(a, floatType)).ToList();
            var outs = g.Node(n.OpType, n.Inputs.Select(i => i.Length == 0 ? null : values[i]).ToList(), n.Outputs.Count, attrs, n.Domain,
                outputNames: n.Outputs.Select(o => o.Length > 0 ? o : g.UniqueName("unused")).ToList());
            for (int k = 0; k < outs.Length; k++) values[n.Outputs[k]] = outs[k];
        }
        var ys = model.Graph.Outputs.Select(o => values[o.Name]).ToList();
        return ys.Count == 1 ? ys[0] : Op.Concat(0, ys.Select(y => Op.Reshape(y, -1)).ToArray());
    }

    private static AttributeProto Convert(AttributeProto a, ElementType floatType)
    {
        if (floatType != ElementType.Float64) return a;
        if (a.T is { } t && (ElementType)t.DataType == ElementType.Float32)
        {
            var d = TensorData.FromDoubles(t.Name, TensorData.ToDoubleArray(t), t.Dims.ToArray());
            return Attr.Tensor(a.Name, d);
        }
        if (a.Name == "to" && a.HasI && a.I == (long)ElementType.Float32) return Attr.Int("to", (long)ElementType.Float64);
        return a;
    }

    // ONNX Runtime's CPU provider lacks float64 kernels for several network ops (Conv, BatchNormalization, …).
    internal static bool RunsInFloat64(OnnxModel model, List<In> ins)
    {
        var g = new GraphBuilder("probe", (int)model.Opset);
        var xs = ins.Select(i => g.Input(i.Name, i.Int64 ? ElementType.Int64 : ElementType.Float64, i.Declared)).ToArray();
        g.Output(Replay(model, g, xs, ElementType.Float64), "fd_probe");
        try
        {
            using var opts = new SessionOptions { IntraOpNumThreads = 1 };
            using var s = new InferenceSession(g.Build().ToBytes(), opts);
            return true;
        }
        catch (OnnxRuntimeException) { return false; }
    }
}
