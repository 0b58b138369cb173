using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Explain;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Explain;

/// <summary>
/// Attributions of imported PyTorch models (channels-first and TensorFlow-style channels-last) against PyTorch
/// autograd on the same weights (<c>Tests/scripts/explain_reference.py</c>): saliency, SmoothGrad with the same noise,
/// Integrated Gradients with the same points for every rule and from the blurred input, Grad-CAM against a hook-based
/// implementation, and occlusion against a NumPy loop.
/// </summary>
[TestClass]
public sealed class ExplainerTorchReferenceTests
{
    private static string? _dir;
    private static JsonElement _ref;

    private static JsonElement Reference(string model)
    {
        Python.Require("torch", "onnx", "numpy");
        lock (typeof(ExplainerTorchReferenceTests))
        {
            if (_dir is null)
            {
                var dir = Path.Combine(Path.GetTempPath(), "onnxkit-explain-" + Guid.NewGuid().ToString("N"));
                Python.RunScript(Path.Combine(Python.RepoRoot, "Tests", "scripts", "explain_reference.py"), dir);
                _ref = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference.json"))).RootElement.Clone();
                _dir = dir;
            }
        }
        return _ref.GetProperty(model);
    }

    [ClassCleanup]
    public static void Cleanup() { if (_dir is not null) Directory.Delete(_dir, true); }

    private static float[] Floats(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();

    // Tolerances scale with the reference's magnitude: attributions of a small net are far from 1.
    private static void Near(float[] expected, float[] actual, double tolerance, string what)
    {
        double scale = Math.Max(1e-3, expected.Max(v => Math.Abs(v)));
        Compare.Close(expected, actual, tolerance * scale, 0, what);
    }

    [TestMethod]
    [DataRow("cnn")]
    [DataRow("nhwc")]
    public void SaliencyEqualsTorchAutogradForThePredictedAndAnotherClass(string model)
    {
        var r = Reference(model);
        using var explainer = Explainer.Load(Path.Combine(_dir!, model + ".onnx"));
        var x = Floats(r, "input");
        var predicted = explainer.Explain(x, new ExplainOptions { Method = AttributionMethod.Saliency });
        Assert.AreEqual(r.GetProperty("target").GetInt32(), predicted.Target, "the default target is the predicted class");
        Near(Floats(r, "saliency"), predicted.Values, 1e-5, $"{model} saliency");
        var other = explainer.Explain(x, new ExplainOptions { Method = AttributionMethod.Saliency, Target = r.GetProperty("other").GetInt32() });
        Near(Floats(r, "saliency_other"), other.Values, 1e-5, $"{model} saliency of class {other.Target}");
        Compare.Close(Floats(r, "scores"), predicted.Scores, 1e-5, 1e-5, "scores");
    }

    [TestMethod]
    [DataRow("cnn")]
    [DataRow("nhwc")]
    public void IntegratedGradientsEqualTorchWithTheSamePointsForEveryRule(string model)
    {
        var r = Reference(model);
        using var explainer = Explainer.Load(Path.Combine(_dir!, model + ".onnx"));
        // The script's points and weights come from the rules' definitions (numpy's leggauss for Gauss-Legendre).
        foreach (var rule in Enum.GetValues<IntegrationRule>())
        {
            // Batches of 5 rows: the 16 path points take four runs, the last one short.
            var a = explainer.Explain(Floats(r, "input"), new ExplainOptions { Steps = 16, Rule = rule, BatchSize = 5, Baseline = Baseline.Tensor(Floats(r, "baseline")) });
            Near(Floats(r.GetProperty("ig16"), IntegrationPath.RuleName(rule)), a.Values, 1e-4, $"{model} integrated gradients, {rule}");
            Assert.AreEqual(16, a.Steps);
            Assert.AreEqual(rule, a.Rule);
            Assert.IsNotNull(a.CompletenessError);
        }
    }

    [TestMethod]
    [DataRow("cnn")]
    [DataRow("nhwc")]
    public void SmoothGradEqualsTorchWithTheSameNoise(string model)
    {
        var r = Reference(model);
        using var explainer = Explainer.Load(Path.Combine(_dir!, model + ".onnx"));
        var x = Floats(r, "input");
        var noise = Floats(r, "noise").Chunk(x.Length).ToArray();
        var a = explainer.Explain(x, new ExplainOptions { Method = AttributionMethod.SmoothGrad, Noise = noise, NoiseLevel = 0.15f, BatchSize = 4 });
        Near(Floats(r, "smoothgrad"), a.Values, 1e-5, $"{model} SmoothGrad over {noise.Length} noisy copies");
        // Not the plain gradient: the noise matters.
        Assert.IsTrue(Floats(r, "saliency").Zip(a.Values).Max(p => Math.Abs(p.First - p.Second)) > 1e-3 * Floats(r, "saliency").Max(Math.Abs), "SmoothGrad differs from saliency");
    }

    [TestMethod]
    [DataRow("cnn")]
    [DataRow("nhwc")]
    public void TheBlurBaselineIsTorchsGaussianBlurOfTheInput(string model)
    {
        var r = Reference(model);
        using var explainer = Explainer.Load(Path.Combine(_dir!, model + ".onnx"));
        var a = explainer.Explain(Floats(r, "input"), new ExplainOptions { Steps = 16, Rule = IntegrationRule.GaussLegendre, Baseline = Baseline.Blur() });
        Assert.AreEqual(r.GetProperty("blur_baseline_output").GetDouble(), a.BaselineOutput!.Value, 1e-5, "the model's output at the blurred input");
        Near(Floats(r, "ig16_blur"), a.Values, 1e-4, $"{model} integrated gradients from the blurred input");
    }

    [TestMethod]
    [DataRow("cnn")]
    [DataRow("nhwc")]
    public void GradCamOfTheLastConvEqualsAHookBasedImplementation(string model)
    {
        var r = Reference(model);
        using var explainer = Explainer.Load(Path.Combine(_dir!, model + ".onnx"));
        var a = explainer.Explain(Floats(r, "input"), new ExplainOptions { Method = AttributionMethod.GradCam });
        Near(Floats(r, "gradcam"), a.Values, 1e-4, $"{model} Grad-CAM");
        Assert.IsTrue(a.Values.Max() > 0, "the map is not all zero");
    }

    [TestMethod]
    [DataRow("exact")]
    [DataRow("exact_nhwc")]
    public void OcclusionEqualsANumPyLoopExactly(string model)
    {
        var r = Reference(model);
        using var explainer = Explainer.Load(Path.Combine(_dir!, model + ".onnx"));
        var a = explainer.Explain(Floats(r, "input"), new ExplainOptions
        {
            Method = AttributionMethod.Occlusion, Window = r.GetProperty("window").GetInt32(), Stride = r.GetProperty("stride").GetInt32(),
        });
        Assert.AreEqual(r.GetProperty("target").GetInt32(), a.Target);
        CollectionAssert.AreEqual(Floats(r, "occlusion"), a.Values, "occlusion attributions, bit for bit");
    }
}
