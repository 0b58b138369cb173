using OnnxKit.Explain;
using OnnxKit.IR;
using OnnxKit.Training.Data;
using OnnxKit.Bench.Shared;

namespace OnnxKit.Bench.Explain;

/// <summary>
/// <c>explain-completeness [IMAGES] [STEPS,…] [RULE,…]</c>: the distribution of Integrated Gradients' completeness error
/// on the shipped CNN (zero baseline, the predicted class, the first IMAGES test images) for each rule and number of points.
/// </summary>
public sealed class CompletenessBenchmark : IBenchmark
{
    public string Name => "explain-completeness";
    public string Description => "IG completeness error on the shipped CNN per integration rule and number of points";

    public int Run(string[] args)
    {
        int images = args.Length > 0 ? int.Parse(args[0]) : 100;
        var steps = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [128];
        var rules = args.Length > 2 ? args[2].Split(',').Select(IntegrationPath.ParseRule).ToArray() : Enum.GetValues<IntegrationRule>();
        var cnn = OnnxModel.Load(Path.Combine(Env.RepoRoot, "models", "fashion-cnn", "1", "model.onnx"));
        using var e = new Explainer(cnn);
        foreach (var rule in rules)
            foreach (int n in steps) Console.WriteLine(Report(e, images, n, rule));
        return 0;
    }

    /// <summary>One line: median, p90, p99, max (and its image) and the count ≤ 0.01 of the completeness errors.</summary>
    public static string Report(Explainer e, int images, int steps, IntegrationRule rule)
    {
        var test = Datasets.FashionMnist(download: false).Test;
        var errors = Enumerable.Range(0, images)
            .Select(k => (Error: e.Explain(test.Features.AsSpan(k * 784, 784).ToArray(), new ExplainOptions { Steps = steps, Rule = rule }).CompletenessError ?? 0, Image: k))
            .OrderBy(t => t.Error).ToArray();
        double Q(double q) => errors[(int)Math.Min(errors.Length - 1, Math.Floor(q * errors.Length))].Error;
        return $"completeness {IntegrationPath.RuleName(rule)} {steps} points, {images} images: median {Q(0.5):G3}, p90 {Q(0.9):G3}, p99 {Q(0.99):G3}, " +
            $"max {errors[^1].Error:G3} (image {errors[^1].Image}), <= 0.01: {errors.Count(x => x.Error <= 0.01)} of {errors.Length}";
    }
}
