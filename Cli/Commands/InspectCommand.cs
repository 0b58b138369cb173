using System.CommandLine;
using OnnxKit.Interop.Import;
using OnnxKit.Interop.Inspect;
using OnnxKit.IR;
using Spectre.Console;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit inspect model.onnx</c>: inputs/outputs, producer, opsets, parameters per layer, op histogram, trainability.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("model") { Description = "an .onnx file" };
        var import = new Option<bool>("--import") { Description = "describe the model as the importer normalises it (canonical opset, folded constants) and list each change" };
        var provider = new Option<string?>("--provider") { Description = "'cuda': list every node ONNX Runtime's CUDA provider has no kernel for (it would run on the CPU)" };
        var cmd = new Command("inspect", "Describe an ONNX model.") { path, import, provider };
        cmd.SetAction(pr => Run(pr.GetValue(path)!, Console.Out, pr.GetValue(import), pr.GetValue(provider)));
        return cmd;
    }

    internal static int Run(string path, TextWriter output, bool import = false, string? provider = null)
    {
        if (provider is not null && !provider.Equals("cuda", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--provider must be 'cuda' (the CPU provider runs every standard operator), got '{provider}'");
        OnnxModel model;
        ImportedModel? imported = null;
        try
        {
            if (import) { imported = ModelImporter.Load(path); model = imported.Model; }
            else model = OnnxModel.Load(path);
        }
        catch (Exception e) when (e is OnnxModelException or FileNotFoundException) { throw new CliException(e.Message); }
        var r = ModelInspector.Inspect(model);
        output.WriteLine($"model     {Path.GetFileName(path)}  (graph '{r.GraphName}')");
        output.WriteLine($"producer  {r.Producer}");
        output.WriteLine($"ir        {r.IrVersion}   opsets {string.Join(", ", r.Opsets.Select(kv => $"{kv.Key}:{kv.Value}"))}");
        foreach (var i in r.Inputs) output.WriteLine($"input     {i}");
        foreach (var o in r.Outputs) output.WriteLine($"output    {o}");
        output.WriteLine(r.ParameterLine);
        var table = new Table().AddColumns("layer", "tensors", "parameters", "bytes");
        foreach (var l in r.Layers) table.AddRow(Markup.Escape(l.Name), l.Tensors.ToString(), l.Parameters.ToString("N0"), l.Bytes.ToString("N0"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Write(table);
        output.WriteLine("ops       " + string.Join(", ", r.OpHistogram.Select(kv => $"{kv.Key}×{kv.Value}")));
        output.WriteLine("no grad   " + (r.OpsWithoutGradient.Count == 0 ? "(every operator has a gradient rule)" : string.Join(", ", r.OpsWithoutGradient)));
        output.Write(r.Trainability.Render());
        foreach (var w in r.ExportWarnings) output.WriteLine("warning   " + w);
        foreach (var kv in r.Metadata) output.WriteLine($"metadata  {kv.Key} = {kv.Value}");
        if (imported is not null)
        {
            output.WriteLine($"import    from opset {imported.SourceOpset} (IR {imported.SourceIrVersion}): {imported.Changes.Count} change(s), {imported.FoldedValues} value(s) folded");
            foreach (var c in imported.Changes) output.WriteLine($"  {c}");
            foreach (var s in imported.ShapeIssues) output.WriteLine($"  shape: {s}");
        }
        if (provider is not null) CudaFallbackReport.Write(model, output);
        return 0;
    }
}
