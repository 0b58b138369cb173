using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxKit.Explain;
using OnnxKit.IO;

namespace OnnxKit.Cli.Commands;

/// <summary>
/// <c>onnxkit explain MODEL --input FILE… --out DIR</c>: attributions of the model's prediction for each image or CSV row
/// (read as <c>predict</c> reads them). Writes <c>NAME.attributions.npy</c> (float32, the input's shape without the batch),
/// <c>NAME.png</c> and one <c>explanation.json</c> for the run.
/// </summary>
internal static class ExplainCommand
{
    internal static readonly Dictionary<string, AttributionMethod> Methods = new()
    {
        ["integrated-gradients"] = AttributionMethod.IntegratedGradients,
        ["saliency"] = AttributionMethod.Saliency,
        ["smoothgrad"] = AttributionMethod.SmoothGrad,
        ["gradcam"] = AttributionMethod.GradCam,
        ["occlusion"] = AttributionMethod.Occlusion,
    };

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "an ONNX model with one float input (.onnx)" };
        var inputs = new Option<string[]>("--input") { Description = "image files (grey, scaled to [0,1]) or CSV files of feature rows", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true, Required = true };
        var method = new Option<string>("--method") { Description = string.Join(" | ", Methods.Keys), DefaultValueFactory = _ => "integrated-gradients" };
        var target = new Option<int?>("--target") { Description = "output index to explain (default: the predicted class)" };
        var steps = new Option<int>("--steps") { Description = "Integrated Gradients: points on the path", DefaultValueFactory = _ => 64 };
        var rule = new Option<string>("--rule") { Description = "Integrated Gradients: " + string.Join(" | ", Enum.GetValues<IntegrationRule>().Select(IntegrationPath.RuleName)), DefaultValueFactory = _ => IntegrationPath.RuleName(new ExplainOptions().Rule) };
        var baseline = new Option<string>("--baseline") { Description = "zeros | mean (the training mean of the dataset in the model's metadata) | blur | FILE (.npy or an image)", DefaultValueFactory = _ => "zeros" };
        var layer = new Option<string?>("--layer") { Description = "Grad-CAM: node or value name of the feature map (default: the last Conv)" };
        var window = new Option<int?>("--window") { Description = "occlusion: window side (default about a seventh of the image)" };
        var stride = new Option<int?>("--stride") { Description = "occlusion: step between windows (default half the window)" };
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var cmd = new Command("explain", "Attribute a model's predictions to its input (Integrated Gradients, saliency, SmoothGrad, Grad-CAM, occlusion).")
            { model, inputs, method, target, steps, rule, baseline, layer, window, stride, output };
        cmd.SetAction(pr =>
        {
            if (!Methods.TryGetValue(pr.GetValue(method)!, out var m))
                throw new CliException($"unknown method '{pr.GetValue(method)}': expected one of {string.Join(", ", Methods.Keys)}");
            IntegrationRule r;
            try { r = IntegrationPath.ParseRule(pr.GetValue(rule)!); }
            catch (ArgumentException e) { throw new CliException("--rule: " + e.Message); }
            var options = new ExplainOptions
            {
                Method = m, Target = pr.GetValue(target), Steps = pr.GetValue(steps), Rule = r, Layer = pr.GetValue(layer), Window = pr.GetValue(window), Stride = pr.GetValue(stride),
            };
            return Run(pr.GetValue(model)!, pr.GetValue(inputs)!, options, pr.GetValue(baseline)!, pr.GetValue(output)!, Console.Out);
        });
        return cmd;
    }

    internal static int Run(string modelPath, string[] files, ExplainOptions options, string baseline, string outDir, TextWriter log)
    {
        if (!File.Exists(modelPath)) throw new CliException($"model '{modelPath}' does not exist");
        Explainer explainer;
        try { explainer = Explainer.Load(modelPath); }
        catch (ArgumentException e) { throw new CliException($"cannot explain '{modelPath}': {e.Message}"); }
        using (explainer)
        {
            var rows = ReadInputs(files, explainer.Layout);
            options = options with { Baseline = ParseBaseline(baseline, explainer, modelPath) };
            Directory.CreateDirectory(outDir);
            var entries = new JsonArray();
            var used = new HashSet<string>();
            foreach (var (name, x) in rows)
            {
                Attribution a;
                try { a = explainer.Explain(x, options); }
                catch (Exception e) when (e is ArgumentException or Training.Autodiff.GradientException or GraphBuildException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                { throw new CliException($"{name}: {e.Message}"); }
                string stem = UniqueStem(name, used);
                NpyFile.Write(Path.Combine(outDir, stem + ".attributions.npy"), a.Values, a.Shape);
                var probabilities = PredictCommand.Softmax(a.Scores);
                int predicted = Array.IndexOf(probabilities, probabilities.Max());
                string title = $"{Label(explainer, predicted)} {probabilities[predicted] * 100:0.0}% · {MethodName(a.Method)}, target {Label(explainer, a.Target)}";
                ExplanationPlot.Save(Path.Combine(outDir, stem + ".png"), x, a, explainer.Layout, title);
                entries.Add(new JsonObject
                {
                    ["input"] = name, ["method"] = MethodName(a.Method), ["target"] = a.Target,
                    ["target_label"] = a.Target < explainer.Labels.Count ? explainer.Labels[a.Target] : null,
                    ["output"] = a.Output, ["baseline_output"] = a.BaselineOutput, ["steps"] = a.Steps, ["rule"] = a.Rule is { } ar ? IntegrationPath.RuleName(ar) : null, ["completeness_error"] = a.CompletenessError,
                });
                log.WriteLine($"{name}: {MethodName(a.Method)} for {Label(explainer, a.Target)} → {stem}.attributions.npy, {stem}.png" +
                    (a.CompletenessError is { } ce ? $" (completeness error {ce:G3})" : ""));
            }
            AtomicFile.WriteAllText(Path.Combine(outDir, "explanation.json"), entries.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    private static List<(string Name, float[] X)> ReadInputs(string[] files, InputLayout layout)
    {
        var rows = new List<(string, float[])>();
        foreach (var f in files)
        {
            if (!File.Exists(f)) throw new CliException($"input file '{f}' does not exist");
            if (f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) rows.AddRange(PredictCommand.ReadCsv(f, layout.Size));
            else if (layout.IsVector || layout.Channels != 1) throw new CliException($"'{f}': images are read as one grey channel; the model takes {layout}");
            else rows.Add((f, PredictCommand.ReadImage(f, layout.Shape)));
        }
        if (rows.Count == 0) throw new CliException("no inputs: the CSV files hold no rows");
        return rows;
    }

    internal static Baseline ParseBaseline(string spec, Explainer explainer, string modelPath)
    {
        switch (spec)
        {
            case "zeros": return Baseline.Zeros;
            case "blur": return Baseline.Blur();
            case "mean":
                if (!OnnxKit.IR.OnnxModel.Load(modelPath).Metadata.TryGetValue("dataset", out var dataset))
                    throw new CliException($"--baseline mean needs the training mean, and '{modelPath}' names no dataset in its metadata; pass --baseline FILE (.npy)");
                var train = DatasetCatalog.Load(dataset).Train;
                if (train.SampleSize != explainer.Layout.Size) throw new CliException($"dataset '{dataset}' has {train.SampleSize} features per sample, the model takes {explainer.Layout.Size}");
                var mean = new double[train.SampleSize];
                for (int s = 0; s < train.Count; s++)
                    for (int i = 0; i < mean.Length; i++) mean[i] += train.Features[(long)s * train.SampleSize + i];
                return Baseline.Mean(mean.Select(v => (float)(v / train.Count)).ToArray());
        }
        if (!File.Exists(spec)) throw new CliException($"--baseline '{spec}': expected zeros, mean, blur or an existing file (.npy or an image)");
        float[] values;
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            try { values = NpyFile.Read(spec).Data; }
            catch (InvalidDataException e) { throw new CliException(e.Message); }
        }
        else values = PredictCommand.ReadImage(spec, explainer.Layout.Shape);
        if (values.Length != explainer.Layout.Size) throw new CliException($"baseline '{spec}' has {values.Length} values, the model takes {explainer.Layout.Size} ({explainer.Layout})");
        return Baseline.Tensor(values);
    }

    internal static string MethodName(AttributionMethod m) => Methods.First(kv => kv.Value == m).Key;

    private static string Label(Explainer e, int k) => k < e.Labels.Count ? e.Labels[k] : $"class {k}";

    // "shoe.png" → "shoe"; "rows.csv:3" → "rows_3"; repeated names get a suffix so nothing is overwritten within a run.
    private static string UniqueStem(string name, HashSet<string> used)
    {
        string stem = Path.GetFileNameWithoutExtension(name.Split(':')[0]) + (name.Contains(':') ? "_" + name.Split(':')[^1] : "");
        string unique = stem;
        for (int k = 2; !used.Add(unique); k++) unique = $"{stem}_{k}";
        return unique;
    }
}
