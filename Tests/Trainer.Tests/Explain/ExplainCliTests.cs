using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Explain;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace OnnxKit.Tests.Explain;

/// <summary>
/// <c>onnxkit explain</c>, run as a real process on the shipped CNN: its attributions equal the library's, the files are
/// the documented ones (NumPy reads the .npy), and mistakes exit 2 with one line.
/// </summary>
[TestClass]
public sealed class ExplainCliTests
{
    private static string CnnPath => Path.Combine(Python.RepoRoot, "models", "fashion-cnn", "1", "model.onnx");

    private static (string Dir, string[] Files, float[][] Pixels) Images(int count)
    {
        var test = Datasets.FashionMnist(download: false).Test;
        var dir = Directory.CreateTempSubdirectory("explain-cli").FullName;
        var files = new string[count];
        var pixels = new float[count][];
        for (int k = 0; k < count; k++)
        {
            using var img = new Image<L8>(28, 28);
            pixels[k] = new float[784];
            for (int i = 0; i < 784; i++)
            {
                byte b = (byte)Math.Round(test.Features[k * 784 + i] * 255);
                img[i % 28, i / 28] = new L8(b);
                pixels[k][i] = b / 255f;
            }
            files[k] = Path.Combine(dir, $"item{k}.png");
            img.SaveAsPng(files[k]);
        }
        return (dir, files, pixels);
    }

    [TestMethod]
    public void ExplainWritesAttributionsPicturesAndTheRunsJson()
    {
        var (dir, files, pixels) = Images(2);
        try
        {
            string outDir = Path.Combine(dir, "out");
            var (code, stdout, stderr) = OnnxkitCli.Run(["explain", CnnPath, "--input", .. files, "--steps", "32", "--out", outDir], 300);
            Assert.AreEqual(0, code, stderr + stdout);
            using var explainer = Explainer.Load(CnnPath);
            var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "explanation.json"))).RootElement;
            Assert.AreEqual(2, json.GetArrayLength());
            for (int k = 0; k < 2; k++)
            {
                var expected = explainer.Explain(pixels[k], new ExplainOptions { Steps = 32 });
                var (values, shape) = NpyFile.Read(Path.Combine(outDir, $"item{k}.attributions.npy"));
                CollectionAssert.AreEqual(new long[] { 1, 28, 28 }, shape);
                Compare.Close(expected.Values, values, 1e-6, 1e-5, $"item{k} attributions");
                Assert.IsTrue(new FileInfo(Path.Combine(outDir, $"item{k}.png")).Length > 1000, "a picture");
                var e = json[k];
                Assert.AreEqual("integrated-gradients", e.GetProperty("method").GetString());
                Assert.AreEqual(expected.Target, e.GetProperty("target").GetInt32());
                Assert.AreEqual(explainer.Labels[expected.Target], e.GetProperty("target_label").GetString());
                Assert.AreEqual(32, e.GetProperty("steps").GetInt32());
                Assert.AreEqual("gauss-legendre", e.GetProperty("rule").GetString(), "the default rule");
                Assert.AreEqual(expected.Output, e.GetProperty("output").GetSingle(), 1e-5);
                Assert.AreEqual(expected.BaselineOutput!.Value, e.GetProperty("baseline_output").GetSingle(), 1e-5);
                double delta = expected.Output - expected.BaselineOutput!.Value;
                Assert.AreEqual(Math.Abs(values.Sum(v => (double)v) - delta) / Math.Abs(delta), e.GetProperty("completeness_error").GetDouble(), 1e-5);
            }
            if (Python.Has("numpy"))
            {
                var (pc, po, pe) = Python.RunCode($"import numpy as np; a = np.load(r'{Path.Combine(outDir, "item0.attributions.npy")}'); print(a.dtype, a.shape, repr(float(a.sum())))");
                Assert.AreEqual(0, pc, pe);
                StringAssert.StartsWith(po.Trim(), "float32 (1, 28, 28)");
            }
            // Saliency: no completeness error, no steps.
            var (sc, _, se) = OnnxkitCli.Run(["explain", CnnPath, "--input", files[0], "--method", "saliency", "--out", outDir], 300);
            Assert.AreEqual(0, sc, se);
            var sal = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "explanation.json"))).RootElement[0];
            Assert.AreEqual(JsonValueKind.Null, sal.GetProperty("completeness_error").ValueKind);
            Assert.AreEqual(JsonValueKind.Null, sal.GetProperty("steps").ValueKind);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void CsvRowsGetABarChartOfTheirTopFeaturesColouredBySign()
    {
        // y = x·Wᵀ + b over 20 features, class 0 always predicted (its bias), so IG from zeros is x ⊙ W[0] exactly.
        const int features = 20;
        var w = new float[3 * features];
        for (int i = 0; i < features; i++) { w[i] = (i % 2 == 0 ? 1 : -1) * (i + 1) / 10f; w[features + i] = 0.5f; w[2 * features + i] = -0.5f; }
        var g = new GraphBuilder("linear");
        var x = g.Input("x", ElementType.Float32, "batch", features);
        g.Output(Op.Gemm(x, g.Initializer(TensorData.FromFloats("W", w, 3, features)), g.Initializer(TensorData.FromFloats("b", [100f, 0f, 0f], 3)), transB: true), "y");
        var dir = Directory.CreateTempSubdirectory("explain-csv").FullName;
        try
        {
            string model = Path.Combine(dir, "linear.onnx");
            g.Build().Save(model);
            // Row 2: all ones, so the attributions are W[0]'s alternating signs; row 3: x = sign(W[0]), every attribution positive.
            string csv = Path.Combine(dir, "rows.csv");
            File.WriteAllLines(csv, [string.Join(",", Enumerable.Range(0, features).Select(i => $"f{i}")),
                string.Join(",", Enumerable.Repeat("1", features)), string.Join(",", Enumerable.Range(0, features).Select(i => i % 2 == 0 ? "1" : "-1"))]);
            string outDir = Path.Combine(dir, "out");
            var (code, stdout, stderr) = OnnxkitCli.Run(["explain", model, "--input", csv, "--steps", "4", "--out", outDir], 300);
            Assert.AreEqual(0, code, stderr + stdout);
            var mixed = NpyFile.Read(Path.Combine(outDir, "rows_2.attributions.npy")).Data;
            Compare.Close(w.Take(features).ToArray(), mixed, 1e-5, 0, "IG of a linear model from zeros = x ⊙ W[0]");
            // The chart shows the 15 largest by magnitude: features 19, 18, … 5.
            CollectionAssert.AreEqual(Enumerable.Range(5, 15).Reverse().ToArray(), ExplanationPlot.TopFeatures(mixed, 15));

            using var mixedPng = Image.Load<Rgba32>(Path.Combine(outDir, "rows_2.png"));
            using var positivePng = Image.Load<Rgba32>(Path.Combine(outDir, "rows_3.png"));
            // The bar chart's size (an image input gets the 640-wide heat map), positive bars red, negative steel blue.
            Assert.AreEqual((720, 520), (mixedPng.Width, mixedPng.Height));
            Assert.IsTrue(Count(mixedPng, 255, 0, 0) > 500 && Count(mixedPng, 70, 130, 180) > 500, "both signs' bars in the mixed row");
            Assert.IsTrue(Count(positivePng, 255, 0, 0) > 500, "positive bars");
            Assert.AreEqual(0, Count(positivePng, 70, 130, 180), "no negative bar when every attribution is positive");
        }
        finally { Directory.Delete(dir, true); }
    }

    private static int Count(Image<Rgba32> image, byte r, byte g, byte b)
    {
        int n = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (image[x, y] is { R: var pr, G: var pg, B: var pb } && pr == r && pg == g && pb == b) n++;
        return n;
    }

    [TestMethod]
    public void ExplainMistakesExitWithOneLine()
    {
        var (dir, files, _) = Images(1);
        try
        {
            string mlp = Path.Combine(Python.RepoRoot, "models", "fashion-mlp", "1", "model.onnx");
            foreach (var (args, says) in new (string[], string)[]
            {
                (["explain", CnnPath, "--input", files[0], "--method", "lime", "--out", dir], "unknown method 'lime'"),
                (["explain", CnnPath, "--input", files[0], "--target", "10", "--out", dir], "out of range"),
                (["explain", CnnPath, "--input", files[0], "--steps", "1", "--rule", "trapezoid", "--out", dir], "at least 2 steps"),
                (["explain", CnnPath, "--input", files[0], "--rule", "simpson", "--out", dir], "unknown integration rule 'simpson'"),
                (["explain", CnnPath, "--input", files[0], "--baseline", "nothing.npy", "--out", dir], "--baseline 'nothing.npy'"),
                (["explain", mlp, "--input", files[0], "--method", "gradcam", "--out", dir], "no Conv node"),
                (["explain", Path.Combine(dir, "missing.onnx"), "--input", files[0], "--out", dir], "does not exist"),
                (["explain", CnnPath, "--input", Path.Combine(dir, "missing.png"), "--out", dir], "does not exist"),
            })
            {
                var (code, _, err) = OnnxkitCli.Run(args, 120);
                Assert.AreEqual(2, code, $"{string.Join(" ", args)}: {err}");
                StringAssert.Contains(err, says);
                Assert.AreEqual(1, err.Trim().Split('\n').Length, err);
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
