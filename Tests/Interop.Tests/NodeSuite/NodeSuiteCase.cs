using Microsoft.ML.OnnxRuntime;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Shapes;

namespace OnnxKit.Tests.Interop.NodeSuite;

/// <summary>How OnnxKit's shape inference did on one case's outputs.</summary>
internal enum ShapeOutcome
{
    /// <summary>Element type, rank and every dimension inferred and equal to the expected output's.</summary>
    Exact,
    /// <summary>Nothing contradicts the expected output, but some dimension (or the rank) is left unknown.</summary>
    Partial,
    /// <summary>An inferred element type, rank or dimension differs from the expected output.</summary>
    Wrong,
    /// <summary>A rule threw on a model the ONNX checker accepts.</summary>
    Refused,
    /// <summary>An operator of the case has no shape rule, or a value is not a tensor: not checked.</summary>
    OutOfScope,
}

/// <summary>What running the case on ONNX Runtime, after a round trip through OnnxKit's IR, gave.</summary>
internal enum RunOutcome
{
    /// <summary>Every output within tolerance of the expected one (exact for integers and booleans).</summary>
    Match,
    /// <summary>An output differs, or ORT failed on the round-tripped bytes.</summary>
    Mismatch,
    /// <summary>Out of scope for shape inference, or a string/complex/non-tensor value: not run.</summary>
    NotRun,
}

/// <summary>One generated node case and its outcomes.</summary>
internal sealed record NodeSuiteCase(string Name, string Op, ShapeOutcome Shape, RunOutcome Run, GradientOutcome Gradient, string Detail)
{
    private const double Rtol = 1e-3, Atol = 1e-5;

    /// <summary>
    /// The operator a case is counted under: its single node's type, or "(several operators)" for the function
    /// expansions (<c>*_expanded</c>) and other multi-node cases.
    /// </summary>
    private static string OpOf(OnnxModel m) => m.Graph.Nodes.Select(n => n.OpType).Distinct().Count() == 1 ? m.Graph.Nodes[0].OpType : "(several operators)";

    public static NodeSuiteCase Check(string caseDir)
    {
        string name = Path.GetFileName(caseDir);
        OnnxModel model;
        try { model = OnnxModel.Load(Path.Combine(caseDir, "model.onnx")); }
        catch (OnnxModelException e) { return new(name, "(not loaded)", ShapeOutcome.Refused, RunOutcome.NotRun, GradientOutcome.NotChecked, "load: " + e.Message); }
        string op = OpOf(model);
        string set = Path.Combine(caseDir, "test_data_set_0");
        var inputs = Read(set, "input");
        var outputs = Read(set, "output");
        bool tensorsOnly = model.Graph.Inputs.Concat(model.Graph.Outputs).All(v => v.Type?.ValueCase == TypeProto.ValueOneofCase.TensorType)
            && inputs.Count + outputs.Count > 0 && inputs.Concat(outputs).All(t => t is not null);
        if (!tensorsOnly || model.Graph.Nodes.Any(n => !ShapeInference.HasRule(n.OpType) || n.Domain is not ("" or "ai.onnx")))
            return new(name, op, ShapeOutcome.OutOfScope, RunOutcome.NotRun, GradientOutcome.NotChecked, tensorsOnly ? "no shape rule" : "non-tensor value");

        var (shape, shapeDetail) = InferShapes(model, outputs!);
        if (shape == ShapeOutcome.Refused) return new(name, op, shape, RunOutcome.NotRun, GradientOutcome.NotChecked, shapeDetail);
        var (run, runDetail) = RunOnOrt(model, inputs!, outputs!);
        var (gradient, gradientDetail) = NodeSuiteGradient.Check(name, model, inputs!);
        if (gradient == GradientOutcome.NotChecked) gradientDetail = "";
        return new(name, op, shape, run, gradient, string.Join("; ", new[] { shapeDetail, runDetail, gradientDetail }.Where(s => s.Length > 0)));
    }

    private static List<TensorProto?> Read(string set, string prefix) => Enumerable.Range(0, 1000)
        .Select(k => Path.Combine(set, $"{prefix}_{k}.pb")).TakeWhile(File.Exists)
        .Select(f => { try { return TensorProto.Parser.ParseFrom(File.ReadAllBytes(f)); } catch (Google.Protobuf.InvalidProtocolBufferException) { return null; } })
        .Select(t => t is { DataType: not 0 } ? t : null).ToList();

    /// <summary>Runs the shape rules node by node from the declared input types only (never the declared output types).</summary>
    private static (ShapeOutcome, string) InferShapes(OnnxModel model, List<TensorProto?> expected)
    {
        GraphBuilder builder;
        try { builder = GraphBuilder.Attach(model); } // for the constant values some rules read (shape tensors)
        catch (OnnxModelException e) { return (ShapeOutcome.Refused, e.Message); }
        var types = new Dictionary<string, TensorType?>();
        foreach (var i in model.Graph.Initializers) types[i.Name] = i.Type;
        foreach (var i in model.Graph.Inputs) types.TryAdd(i.Name, TensorType.FromProto(i.Type));
        foreach (var n in model.Graph.Nodes)
        {
            TensorType?[] outs;
            try { outs = ShapeInference.Infer(builder, n, n.Inputs.Select(i => i.Length == 0 ? null : types.GetValueOrDefault(i)).ToArray()); }
            catch (GraphBuildException e) { return (ShapeOutcome.Refused, e.Message); }
            for (int k = 0; k < n.Outputs.Count; k++) if (n.Outputs[k].Length > 0) types[n.Outputs[k]] = outs[k];
        }
        var outcome = ShapeOutcome.Exact;
        var notes = new List<string>();
        for (int k = 0; k < model.Graph.Outputs.Count; k++)
        {
            var declared = TensorType.FromProto(model.Graph.Outputs[k].Type)!;
            long[] dims = expected[k]!.Dims.ToArray();
            var got = types.GetValueOrDefault(model.Graph.Outputs[k].Name);
            string what = $"output {k} '{model.Graph.Outputs[k].Name}'";
            if (got is null || got.ElementType == ElementType.Undefined) { outcome = Worse(outcome, ShapeOutcome.Partial); notes.Add($"{what}: type unknown"); continue; }
            if (got.ElementType != declared.ElementType)
            {
                notes.Add($"{what}: element type {got.ElementType.OnnxName()}, expected {declared.ElementType.OnnxName()}");
                outcome = ShapeOutcome.Wrong;
                continue;
            }
            if (got.Shape is null) { outcome = Worse(outcome, ShapeOutcome.Partial); notes.Add($"{what}: rank unknown"); continue; }
            if (got.Shape.Rank != dims.Length || Enumerable.Range(0, dims.Length).Any(i => got.Shape[i].IsKnown && got.Shape[i].Value != dims[i]))
            {
                notes.Add($"{what}: shape {got.Shape}, expected [{string.Join(", ", dims)}]");
                outcome = ShapeOutcome.Wrong;
                continue;
            }
            if (!got.Shape.All(d => d.IsKnown)) { outcome = Worse(outcome, ShapeOutcome.Partial); notes.Add($"{what}: {got.Shape} for [{string.Join(", ", dims)}]"); }
        }
        return (outcome, string.Join("; ", notes));
    }

    private static ShapeOutcome Worse(ShapeOutcome a, ShapeOutcome b) => (ShapeOutcome)Math.Max((int)a, (int)b);

    private static (RunOutcome, string) RunOnOrt(OnnxModel model, List<TensorProto> inputs, List<TensorProto> outputs)
    {
        if (inputs.Concat(outputs).Any(t => (ElementType)t.DataType is ElementType.String or ElementType.Complex64 or ElementType.Complex128))
            return (RunOutcome.NotRun, "string or complex values");
        var inits = model.Graph.Initializers.Select(i => i.Name).ToHashSet();
        var fedInputs = model.Graph.Inputs.Where(i => !inits.Contains(i.Name)).ToList();
        var fed = fedInputs.Select(i => i.Name).ToList();
        if (fed.Count != inputs.Count) return (RunOutcome.NotRun, $"the model takes {fed.Count} inputs, the data set has {inputs.Count}");
        var values = new List<OrtValue>();
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1 };
            using var session = new InferenceSession(model.ToBytes(), options);
            for (int k = 0; k < fed.Count; k++) values.Add(ToOrt(inputs[k], TensorType.FromProto(fedInputs[k].Type)!.ElementType));
            var names = model.Graph.Outputs.Select(o => o.Name).ToArray();
            using var results = session.Run(new RunOptions(), fed, values, names);
            for (int k = 0; k < names.Length; k++)
            {
                var got = results[k];
                long[] shape = got.GetTensorTypeAndShape().Shape;
                if (!shape.SequenceEqual(outputs[k].Dims))
                    return (RunOutcome.Mismatch, $"ORT output {k}: shape [{string.Join(", ", shape)}], expected [{string.Join(", ", outputs[k].Dims)}]");
                var type = (ElementType)outputs[k].DataType;
                double[] e = TensorData.ToDoubleArray(outputs[k]), a = Numbers(outputs[k], got.GetTensorDataAsSpan<byte>().ToArray());
                for (int i = 0; i < e.Length; i++)
                {
                    bool same = e[i] == a[i] || (double.IsNaN(e[i]) && double.IsNaN(a[i]))
                        || (IsFloat(type) && Math.Abs(e[i] - a[i]) <= Atol + Rtol * Math.Abs(e[i]));
                    if (!same) return (RunOutcome.Mismatch, $"ORT output {k}[{i}] = {a[i]}, expected {e[i]}");
                }
            }
            return (RunOutcome.Match, "");
        }
        catch (OnnxRuntimeException e) { return (RunOutcome.Mismatch, "ORT: " + e.Message.Split('\n')[0]); }
        catch (NotSupportedException e) { return (RunOutcome.NotRun, e.Message); }
        finally { foreach (var v in values) v.Dispose(); }
    }

    private static bool IsFloat(ElementType t) => t is ElementType.Float32 or ElementType.Float64 or ElementType.Float16 or ElementType.BFloat16;

    // The declared type decides: the bfloat16 cases store their data as uint16.
    private static OrtValue ToOrt(TensorProto t, ElementType type)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (Microsoft.ML.OnnxRuntime.Tensors.TensorElementType)(int)type, t.Dims.ToArray());
        TensorData.RawBytes(t).CopyTo(value.GetTensorMutableRawData());
        return value;
    }

    // Element values as float64 (integers and booleans exactly), the ORT output's bytes read as the expected tensor's
    // type: the bfloat16 cases store their expected outputs as uint16, so both sides are compared as those bits.
    private static double[] Numbers(TensorProto expected, byte[] raw) =>
        TensorData.ToDoubleArray(new TensorProto { DataType = expected.DataType, RawData = Google.Protobuf.ByteString.CopyFrom(raw) });
}
