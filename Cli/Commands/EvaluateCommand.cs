using System.CommandLine;
using OnnxKit.Inference;
using OnnxKit.Training.Metrics;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit evaluate --model model.onnx --dataset …</c>: accuracy and confusion matrix of an exported model on a test split.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model("", "an exported classifier (.onnx, input [batch, …] → scores [batch, classes])");
        var dataset = CommonOptions.Dataset();
        var batch = CommonOptions.BatchSize(256);
        var cmd = new Command("evaluate", "Evaluate an ONNX classifier on a dataset's test split.") { model, dataset, batch };
        cmd.SetAction(pr => Run(pr.GetValue(model)!, pr.GetValue(dataset)!, pr.GetValue(batch), Console.Out));
        return cmd;
    }

    internal static int Run(string modelPath, string dataset, int batchSize, TextWriter output)
    {
        if (string.IsNullOrEmpty(modelPath)) throw new CliException("--model is required (an .onnx file)");
        if (batchSize < 1) throw new CliException($"--batch-size must be at least 1, got {batchSize}");
        var test = DatasetCatalog.Load(dataset).Test;
        using var predictor = LoadPredictor(modelPath);
        string input = predictor.Info.Inputs[0].Name;
        ConfusionMatrix? cm = null;
        for (int start = 0; start < test.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, test.Count - start);
            var x = test.Features.AsSpan(start * test.SampleSize, count * test.SampleSize).ToArray();
            var scores = predictor.Predict(new Dictionary<string, TensorValue> { [input] = TensorValue.FromFloats(x, [count, .. test.SampleShape.Select(d => (long)d)]) })[0].ToFloats();
            int classes = scores.Length / count;
            cm ??= new ConfusionMatrix(classes);
            cm.Add(scores, test.Labels!.AsSpan(start, count).ToArray(), count, classes);
        }
        output.WriteLine($"{Path.GetFileName(modelPath)} on {dataset} test split ({test.Count} samples): accuracy {cm!.Accuracy():F4}");
        for (int c = 0; c < cm.Classes; c++)
            output.WriteLine($"  class {c,2} {(c < test.ClassNames.Count ? test.ClassNames[c] : ""),-14} precision {cm.Precision(c):F3}  recall {cm.Recall(c):F3}  f1 {cm.F1(c):F3}");
        return 0;
    }

    internal static Predictor LoadPredictor(string path)
    {
        try { return Predictor.Load(path); }
        catch (Exception e) when (e is FileNotFoundException or ModelLoadException or InvalidOperationException or ArgumentException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        { throw new CliException($"cannot load model '{path}': {e.Message}"); }
    }
}
