namespace OnnxKit.Training.Optimizers;

/// <summary>Argument checks shared by the optimizers; each names the offending argument as PyTorch spells it.</summary>
internal static class OptimizerChecks
{
    public static double Positive(double v, string name) =>
        v > 0 && double.IsFinite(v) ? v : throw new ArgumentOutOfRangeException(name, v, $"{name} must be a finite number > 0");

    public static double NonNegative(double v, string name) =>
        v >= 0 && double.IsFinite(v) ? v : throw new ArgumentOutOfRangeException(name, v, $"{name} must be a finite number >= 0");

    /// <summary>A decay rate in [0, 1), as betas and alpha must be.</summary>
    public static double Beta(double v, string name) =>
        v >= 0 && v < 1 ? v : throw new ArgumentOutOfRangeException(name, v, $"{name} must be in [0, 1)");
}
