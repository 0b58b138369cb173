using System.Text;
using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Interop.Inspect;

/// <summary>
/// Describes a model: inputs and outputs with shapes, producer, opsets, parameter count and bytes per layer, an
/// operator histogram, and which operators cannot be trained (and where they stop training).
/// </summary>
public static class ModelInspector
{
    /// <summary>Inspects a model as it is (no upgrade; see <see cref="ModelImporter"/> for that).</summary>
    public static ModelInspection Inspect(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = model.Graph;
        var inits = g.Initializers.Select(i => i.Name).ToHashSet();
        static ValueDescription Describe(Schema.ValueInfoProto v) => new(v.Name, TensorType.FromProto(v.Type)?.ToString() ?? "(non-tensor)");
        var layers = g.Initializers.GroupBy(i => i.Name.Contains('.') ? i.Name[..i.Name.LastIndexOf('.')] : i.Name)
            .Select(grp => new LayerParameters(grp.Key, grp.Count(), grp.Where(i => i.ElementType.IsFloat()).Sum(i => i.ElementCount), grp.Sum(i => i.ByteSize ?? 0)))
            .ToList();
        var (parameters, buffers, copies) = CountParameters(g);
        var hist = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) { string k = OpName(n); hist[k] = hist.GetValueOrDefault(k) + 1; }
        var noGrad = hist.Keys.Where(op => GradientRegistry.Find(op) is null && !GradientRegistry.NonDifferentiable.Contains(op)).ToList();
        return new ModelInspection
        {
            GraphName = g.Name,
            Producer = $"{model.ProducerName ?? "?"} {model.ProducerVersion ?? ""}".TrimEnd(),
            IrVersion = model.IrVersion,
            Opsets = model.Opsets.ToDictionary(kv => kv.Key.Length == 0 ? "ai.onnx" : kv.Key, kv => kv.Value),
            Inputs = g.Inputs.Where(i => !inits.Contains(i.Name)).Select(Describe).ToList(),
            Outputs = g.Outputs.Select(Describe).ToList(),
            ParameterCount = parameters,
            BufferCount = buffers,
            SharedCopies = copies,
            ExportWarnings = FoldedBatchNorm.Detect(g) is { } folded ? [folded] : [],
            ParameterBytes = g.Initializers.Sum(i => i.ByteSize ?? 0),
            Layers = layers,
            OpHistogram = hist,
            OpsWithoutGradient = noGrad,
            Trainability = TrainabilityReport.Analyze(model),
            Metadata = new Dictionary<string, string>(model.Metadata),
        };
    }

    private static (long Parameters, long Buffers, int Copies) CountParameters(Graph g)
    {
        var floats = g.Initializers.Where(i => i.ElementType.IsFloat()).ToDictionary(i => i.Name, i => i.ElementCount, StringComparer.Ordinal);
        var buffers = g.Nodes.Where(n => n.OpType == "BatchNormalization").SelectMany(n => n.Inputs.Skip(3).Take(2)).ToHashSet(StringComparer.Ordinal);
        var values = new Dictionary<string, long>(floats, StringComparer.Ordinal);
        int copies = 0;
        foreach (var n in g.Nodes.Where(n => n.OpType == "Identity" && n.Inputs.Count == 1 && floats.ContainsKey(n.Inputs[0])))
            if (values.TryAdd(n.Outputs[0], floats[n.Inputs[0]]) && !buffers.Contains(n.Outputs[0])) copies++;
        // The stored tensor behind Identity copies counts only where something reads it directly (it is one of them).
        var readDirectly = g.Nodes.Where(n => n.OpType != "Identity").SelectMany(n => n.Inputs).Concat(g.Outputs.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var copied = g.Nodes.Where(n => n.OpType == "Identity" && n.Inputs.Count == 1 && floats.ContainsKey(n.Inputs[0])).Select(n => n.Inputs[0]).ToHashSet(StringComparer.Ordinal);
        long parameters = 0, bufferValues = 0;
        foreach (var (name, count) in values)
        {
            if (copied.Contains(name) && !readDirectly.Contains(name)) continue;
            if (buffers.Contains(name)) bufferValues += count; else parameters += count;
        }
        return (parameters, bufferValues, copies);
    }

    private static string OpName(Node n) => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}";

    /// <summary>The report as plain text (what <c>onnxkit inspect</c> prints, without the layer table).</summary>
    public static string Render(ModelInspection r, bool withLayers = true)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"graph     '{r.GraphName}'");
        sb.AppendLine($"producer  {r.Producer}");
        sb.AppendLine($"ir        {r.IrVersion}   opsets {string.Join(", ", r.Opsets.Select(kv => $"{kv.Key}:{kv.Value}"))}");
        foreach (var i in r.Inputs) sb.AppendLine($"input     {i}");
        foreach (var o in r.Outputs) sb.AppendLine($"output    {o}");
        sb.AppendLine(r.ParameterLine);
        if (withLayers)
            foreach (var l in r.Layers) sb.AppendLine($"  {l.Name,-40} {l.Tensors,3} tensors {l.Parameters,14:N0} params {l.Bytes,14:N0} bytes");
        sb.AppendLine("ops       " + string.Join(", ", r.OpHistogram.Select(kv => $"{kv.Key}×{kv.Value}")));
        sb.AppendLine("no grad   " + (r.OpsWithoutGradient.Count == 0 ? "(every operator has a gradient rule)" : string.Join(", ", r.OpsWithoutGradient)));
        sb.Append(r.Trainability.Render());
        foreach (var w in r.ExportWarnings) sb.AppendLine("warning   " + w);
        foreach (var kv in r.Metadata) sb.AppendLine($"metadata  {kv.Key} = {kv.Value}");
        return sb.ToString();
    }
}
