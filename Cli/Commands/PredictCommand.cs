using System.CommandLine;
using System.Globalization;
using OnnxKit.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit predict --model m.onnx FILES…</c>: labels and probabilities for images (PNG/JPEG) or CSV rows.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model("", "an exported classifier (.onnx)");
        var inputs = new Argument<string[]>("inputs") { Description = "image files (grey, scaled to [0,1]) or one CSV file of feature rows", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "classes to show per input", DefaultValueFactory = _ => 3 };
        var cmd = new Command("predict", "Predict labels for images or CSV rows with an ONNX classifier.") { model, inputs, top };
        cmd.SetAction(pr => Run(pr.GetValue(model)!, pr.GetValue(inputs)!, pr.GetValue(top), Console.Out));
        return cmd;
    }

    internal static int Run(string modelPath, string[] files, int top, TextWriter output)
    {
        if (string.IsNullOrEmpty(modelPath)) throw new CliException("--model is required (an .onnx file)");
        using var predictor = EvaluateCommand.LoadPredictor(modelPath);
        var inputInfo = predictor.Info.Inputs[0];
        long[] sample = inputInfo.Dimensions.Skip(1).Select(d => d >= 0 ? d : throw new CliException($"input '{inputInfo.Name}' has a symbolic non-batch dimension; cannot size samples")).ToArray();
        long size = sample.Aggregate(1L, (a, d) => a * d);
        var labels = predictor.Info.Labels ?? [];
        var rows = new List<(string Name, float[] X)>();
        foreach (var f in files)
        {
            if (!File.Exists(f)) throw new CliException($"input file '{f}' does not exist");
            if (f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) rows.AddRange(ReadCsv(f, size));
            else rows.Add((f, ReadImage(f, sample)));
        }
        foreach (var (name, x) in rows)
        {
            var scores = predictor.Predict(new Dictionary<string, TensorValue> { [inputInfo.Name] = TensorValue.FromFloats(x, [1, .. sample]) })[0].ToFloats();
            var probs = Softmax(scores);
            var best = probs.Select((p, i) => (p, i)).OrderByDescending(t => t.p).Take(Math.Max(1, top));
            output.WriteLine($"{name}: " + string.Join(", ", best.Select(b => $"{(b.i < labels.Length ? labels[b.i] : b.i.ToString())} {b.p:P1}")));
        }
        return 0;
    }

    internal static float[] Softmax(float[] s)
    {
        // Scores that already are probabilities (a softmax head) pass through unchanged up to rounding.
        if (s.All(v => v >= 0) && Math.Abs(s.Sum() - 1) < 1e-3) return s;
        float max = s.Max();
        var e = s.Select(v => MathF.Exp(v - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    internal static float[] ReadImage(string path, long[] sample)
    {
        long h = sample[^2], w = sample[^1];
        Image<L8> img;
        try { img = Image.Load<L8>(path); }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException) { throw new CliException($"'{path}' is not a readable image: {e.Message}"); }
        using (img)
        {
            if (img.Width != w || img.Height != h) throw new CliException($"image '{path}' is {img.Width}×{img.Height}, the model expects {w}×{h}");
            var x = new float[h * w];
            for (int y = 0; y < h; y++) for (int c = 0; c < w; c++) x[y * w + c] = img[c, y].PackedValue / 255f;
            return x;
        }
    }

    internal static IEnumerable<(string, float[])> ReadCsv(string path, long size)
    {
        int line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            var cells = raw.Split(',');
            if (line == 1 && !float.TryParse(cells[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) continue; // header
            if (cells.Length != size) throw new CliException($"{path}:{line}: {cells.Length} values, the model expects {size}");
            var x = new float[size];
            for (int i = 0; i < size; i++)
                if (!float.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out x[i]))
                    throw new CliException($"{path}:{line}: column {i + 1} is '{cells[i]}', expected a number");
            yield return ($"{Path.GetFileName(path)}:{line}", x);
        }
    }
}
