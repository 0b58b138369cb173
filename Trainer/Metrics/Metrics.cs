using OnnxKit.Training.Metrics;

namespace OnnxKit;

/// <summary>The metric catalogue (Keras-like names).</summary>
public static class Metrics
{
    /// <summary>Fraction of samples whose arg-max output equals the target class.</summary>
    public static Metric Accuracy => new AccuracyMetric();
    /// <summary>Fraction of samples whose target is among the k largest outputs.</summary>
    public static Metric TopK(int k) => new TopKAccuracyMetric(k);
    /// <summary>Macro-averaged precision over classes.</summary>
    public static Metric Precision(int classes) => new ClassificationReportMetric(classes, ClassificationReportMetric.Kind.Precision);
    /// <summary>Macro-averaged recall over classes.</summary>
    public static Metric Recall(int classes) => new ClassificationReportMetric(classes, ClassificationReportMetric.Kind.Recall);
    /// <summary>Macro-averaged F1 over classes.</summary>
    public static Metric F1(int classes) => new ClassificationReportMetric(classes, ClassificationReportMetric.Kind.F1);
    /// <summary>Mean squared error of outputs against float targets.</summary>
    public static Metric MeanSquaredError => new RegressionMetric("mse", squared: true);
    /// <summary>Mean absolute error.</summary>
    public static Metric MeanAbsoluteError => new RegressionMetric("mae", squared: false);

    /// <summary>Looks a metric up by its name (<c>accuracy</c>, <c>top5</c>, <c>mse</c>, <c>mae</c>, <c>precision</c>, <c>recall</c>, <c>f1</c>).</summary>
    public static Metric ByName(string name, int classes) => name.ToLowerInvariant() switch
    {
        "accuracy" or "acc" => Accuracy,
        "mse" => MeanSquaredError,
        "mae" => MeanAbsoluteError,
        "precision" => Precision(classes),
        "recall" => Recall(classes),
        "f1" => F1(classes),
        var s when s.StartsWith("top") && int.TryParse(s[3..], out var k) => TopK(k),
        _ => throw new ArgumentException($"unknown metric '{name}': expected accuracy, topK (e.g. top5), precision, recall, f1, mse or mae"),
    };
}
