using System.CommandLine;
using OnnxKit.Inference;
using OnnxKit.Interop.Transfer;
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
        var layout = CommonOptions.InputLayout();
        var cmd = new Command("evaluate", "Evaluate an ONNX classifier on a dataset's test split.") { model, dataset, batch, layout };
        cmd.SetAction(pr => Run(pr.GetValue(model)!, pr.GetValue(dataset)!, pr.GetValue(batch), Console.Out, pr.GetValue(layout)!));
        return cmd;
    }

    internal static int Run(string modelPath, string dataset, int batchSize, TextWriter output, string inputLayout = "auto")
    {
        if (string.IsNullOrEmpty(modelPath)) throw new CliException("--model is required (an .onnx file)");
        if (batchSize < 1) throw new CliException($"--batch-size must be at least 1, got {batchSize}");
        var layout = CommonOptions.ParseInputLayout(inputLayout);
        var test = DatasetCatalog.Load(dataset).Test;
        using var predictor = LoadPredictor(modelPath);
        var inputs = predictor.Info.Inputs;
        if (inputs.Count != 1) throw new CliException($"{Path.GetFileName(modelPath)} has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); evaluate feeds one (the batch)");
        var info = inputs[0];
        if (info.ElementType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
            throw new CliException($"{Path.GetFileName(modelPath)}: input {info} is not float32; evaluate feeds the dataset's float32 samples");
        if (info.Dimensions.Length == 0) throw new CliException($"{Path.GetFileName(modelPath)}: input {info} is a scalar; evaluate feeds a batch of samples");
        try { test = SampleLayout.Fit(test, info.Dimensions.Skip(1).Select(d => d >= 0 ? d : (long?)null).ToArray(), layout, info.Name); }
        catch (ArgumentException e) { throw new CliException($"{Path.GetFileName(modelPath)} on '{dataset}': {e.Message}"); }
        string input = info.Name;
        ConfusionMatrix? cm = null;
        for (int start = 0; start < test.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, test.Count - start);
            var x = test.Features.AsSpan(start * test.SampleSize, count * test.SampleSize).ToArray();
            var scores = Predict(predictor, new Dictionary<string, TensorValue> { [input] = TensorValue.FromFloats(x, [count, .. test.SampleShape.Select(d => (long)d)]) }, modelPath);
            int classes = scores.Length / count;
            if (classes * count != scores.Length || classes < 1)
                throw new CliException($"{Path.GetFileName(modelPath)}: the first output has {scores.Length} values for {count} samples; evaluate expects scores [batch, classes]");
            cm ??= new ConfusionMatrix(classes);
            cm.Add(scores, test.Labels!.AsSpan(start, count).ToArray(), count, classes);
        }
        output.WriteLine($"{Path.GetFileName(modelPath)} on {dataset} test split ({test.Count} samples): accuracy {cm!.Accuracy():F4}");
        for (int c = 0; c < cm.Classes; c++)
            output.WriteLine($"  class {c,2} {(c < test.ClassNames.Count ? test.ClassNames[c] : ""),-14} precision {cm.Precision(c):F3}  recall {cm.Recall(c):F3}  f1 {cm.F1(c):F3}");
        return 0;
    }

    private static float[] Predict(Predictor predictor, Dictionary<string, TensorValue> feed, string modelPath)
    {
        try { return predictor.Predict(feed)[0].ToFloats(); }
        catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or InvalidOperationException)
        { throw new CliException($"{Path.GetFileName(modelPath)}: ONNX Runtime refused the batch: {e.Message.Split('\n')[0]}"); }
    }

    internal static Predictor LoadPredictor(string path)
    {
        try { return Predictor.Load(path); }
        catch (Exception e) when (e is FileNotFoundException or ModelLoadException or InvalidOperationException or ArgumentException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        { throw new CliException($"cannot load model '{path}': {e.Message}"); }
    }
}
