using System.CommandLine;
using OnnxKit.IR;
using Spectre.Console;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit inspect model.onnx</c>: inputs/outputs, producer, opsets, parameters per layer, op histogram, trainability.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("model") { Description = "an .onnx file" };
        var cmd = new Command("inspect", "Describe an ONNX model.") { path };
        cmd.SetAction(pr => Run(pr.GetValue(path)!, Console.Out));
        return cmd;
    }

    internal static int Run(string path, TextWriter output)
    {
        OnnxModel model;
        try { model = OnnxModel.Load(path); }
        catch (Exception e) when (e is OnnxModelException or FileNotFoundException) { throw new CliException(e.Message); }
        var report = ModelReport.Of(model);
        output.WriteLine($"model     {Path.GetFileName(path)}  (graph '{model.Graph.Name}')");
        output.WriteLine($"producer  {model.ProducerName ?? "?"} {model.ProducerVersion ?? ""}".TrimEnd());
        output.WriteLine($"ir        {model.IrVersion}   opsets {string.Join(", ", model.Opsets.Select(kv => $"{(kv.Key.Length == 0 ? "ai.onnx" : kv.Key)}:{kv.Value}"))}");
        foreach (var i in report.Inputs) output.WriteLine($"input     {i}");
        foreach (var o in report.Outputs) output.WriteLine($"output    {o}");
        output.WriteLine($"params    {report.ParameterCount:N0} in {report.Layers.Count} tensors groups, {report.ParameterBytes / 1024.0 / 1024.0:F2} MiB");
        var table = new Table().AddColumns("layer", "tensors", "parameters", "bytes");
        foreach (var l in report.Layers) table.AddRow(Markup.Escape(l.Name), l.Tensors.ToString(), l.Parameters.ToString("N0"), l.Bytes.ToString("N0"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Write(table);
        output.WriteLine("ops       " + string.Join(", ", report.OpHistogram.Select(kv => $"{kv.Key}×{kv.Value}")));
        foreach (var kv in model.Metadata) output.WriteLine($"metadata  {kv.Key} = {kv.Value}");
        return 0;
    }
}

/// <summary>The facts <c>inspect</c> prints, as data (also used by tests).</summary>
internal sealed record ModelReport(List<string> Inputs, List<string> Outputs, long ParameterCount, long ParameterBytes,
    List<(string Name, int Tensors, long Parameters, long Bytes)> Layers, SortedDictionary<string, int> OpHistogram)
{
    public static ModelReport Of(OnnxModel m)
    {
        var g = m.Graph;
        var inits = g.Initializers.Select(i => i.Name).ToHashSet();
        string Describe(Schema.ValueInfoProto v) => $"{v.Name}: {TensorType.FromProto(v.Type)?.ToString() ?? "(non-tensor)"}";
        var layers = g.Initializers.GroupBy(i => i.Name.Contains('.') ? i.Name[..i.Name.LastIndexOf('.')] : i.Name)
            .Select(grp => (grp.Key, grp.Count(), grp.Sum(i => i.ElementCount), grp.Sum(i => i.ByteSize ?? 0))).ToList();
        var hist = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) { string k = n.Domain.Length > 0 && n.Domain != "ai.onnx" ? $"{n.Domain}.{n.OpType}" : n.OpType; hist[k] = hist.GetValueOrDefault(k) + 1; }
        return new ModelReport(g.Inputs.Where(i => !inits.Contains(i.Name)).Select(Describe).ToList(), g.Outputs.Select(Describe).ToList(),
            g.Initializers.Where(i => i.ElementType.IsFloat()).Sum(i => i.ElementCount), g.Initializers.Sum(i => i.ByteSize ?? 0), layers, hist);
    }
}
