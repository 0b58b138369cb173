using Microsoft.ML.OnnxRuntime;
using OnnxKit.Explain;
using OnnxKit.IR;
using OnnxKit.Training.Data;
using OnnxKit.Bench.Shared;

namespace OnnxKit.Bench.Explain;

/// <summary>
/// <c>explain-completeness [IMAGES] [STEPS,…] [RULE,…] [--check]</c>: the distribution of Integrated Gradients'
/// completeness error on the shipped CNN (zero baseline, the predicted class, the first IMAGES test images) for each rule
/// and number of points. <c>--check</c> also recomputes each sum from the gradient graph one path point at a time in
/// float64 and compares the graph's outputs at the path's ends with plain inference (is any of the error numerical?).
/// </summary>
public sealed class CompletenessBenchmark : IBenchmark
{
    public string Name => "explain-completeness";
    public string Description => "IG completeness error on the shipped CNN per integration rule and number of points";

    public int Run(string[] args)
    {
        bool check = args.Contains("--check");
        args = args.Where(a => a != "--check").ToArray();
        int images = args.Length > 0 ? int.Parse(args[0]) : 100;
        var steps = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [128];
        var rules = args.Length > 2 ? args[2].Split(',').Select(IntegrationPath.ParseRule).ToArray() : Enum.GetValues<IntegrationRule>();
        var cnn = OnnxModel.Load(Path.Combine(Env.RepoRoot, "models", "fashion-cnn", "1", "model.onnx"));
        using var e = new Explainer(cnn);
        foreach (var rule in rules)
            foreach (int n in steps)
            {
                Console.WriteLine(Report(e, images, n, rule));
                if (check) Console.WriteLine(Check(e, images, n, rule));
            }
        return 0;
    }

    private static float[] Sample(int k) => Datasets.FashionMnist(download: false).Test.Features.AsSpan(k * 784, 784).ToArray();

    /// <summary>One line: median, p90, p99, max (and its image) and the count ≤ 0.01 of the completeness errors.</summary>
    public static string Report(Explainer e, int images, int steps, IntegrationRule rule)
    {
        var errors = Enumerable.Range(0, images)
            .Select(k => (Error: e.Explain(Sample(k), new ExplainOptions { Steps = steps, Rule = rule }).CompletenessError ?? 0, Image: k))
            .OrderBy(t => t.Error).ToArray();
        double Q(double q) => errors[(int)Math.Min(errors.Length - 1, Math.Floor(q * errors.Length))].Error;
        return $"completeness {IntegrationPath.RuleName(rule)} {steps} points, {images} images: median {Q(0.5):G3}, p90 {Q(0.9):G3}, p99 {Q(0.99):G3}, " +
            $"max {errors[^1].Error:G3} (image {errors[^1].Image}), <= 0.01: {errors.Count(x => x.Error <= 0.01)} of {errors.Length}";
    }

    // The library's Σ attributions against Σₖ wₖ (x·∇y(αₖ x)) in float64 from one graph run per point, and the graph's
    // output at the first and last points against plain inference at the baseline and the input (when the rule has them).
    private static string Check(Explainer e, int images, int steps, IntegrationRule rule)
    {
        using var session = new InferenceSession(e.GradientGraph(AttributionMethod.IntegratedGradients).ToBytes());
        var (alphas, weights) = IntegrationPath.Quadrature(rule, steps);
        double worstSum = 0, worstEnd = 0;
        for (int k = 0; k < images; k++)
        {
            var x = Sample(k);
            var a = e.Explain(x, new ExplainOptions { Steps = steps, Rule = rule });
            double sum = 0;
            for (int p = 0; p < steps; p++)
            {
                var (grad, output) = Point(session, e, IntegrationPath.Point(new float[x.Length], x, alphas[p]), a.Target);
                double dot = 0;
                for (int i = 0; i < x.Length; i++) dot += (double)x[i] * grad[i];
                sum += weights[p] * dot;
                if (alphas[p] == 0) worstEnd = Math.Max(worstEnd, Math.Abs(output - a.BaselineOutput!.Value));
                if (alphas[p] == 1) worstEnd = Math.Max(worstEnd, Math.Abs(output - a.Output));
            }
            worstSum = Math.Max(worstSum, Math.Abs(a.Values.Sum(v => (double)v) - sum) / Math.Abs(sum));
        }
        return $"  check: library sum vs float64 per-point sum, max relative difference {worstSum:G3}; graph output at the path's ends vs inference, max difference {worstEnd:G3}";
    }

    private static (float[] Gradient, float Output) Point(InferenceSession session, Explainer e, float[] point, int target)
    {
        var selection = new float[10];
        selection[target] = 1;
        using var input = OrtValue.CreateTensorValueFromMemory(point, [1, .. e.SampleShape]);
        using var select = OrtValue.CreateTensorValueFromMemory(selection, [1, 10]);
        using var run = new RunOptions();
        using var results = session.Run(run, [e.InputName, ExplainGraphs.Selection], [input, select], [ExplainGraphs.InputGradientSum, ExplainGraphs.Output]);
        return (results[0].GetTensorDataAsSpan<float>().ToArray(), results[1].GetTensorDataAsSpan<float>()[target]);
    }
}
