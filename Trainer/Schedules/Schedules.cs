using OnnxKit.Training.Schedules;

namespace OnnxKit;

/// <summary>The learning-rate schedule catalogue (PyTorch's names, arguments and defaults).</summary>
public static class Schedules
{
    /// <summary>Decays by γ every <paramref name="stepSize"/> advances.</summary>
    public static StepLR StepLR(double baseLr, int stepSize, double gamma = 0.1, ScheduleUnit unit = ScheduleUnit.Epoch) => new(baseLr, stepSize, gamma, unit);
    /// <summary>Decays by γ at each milestone.</summary>
    public static MultiStepLR MultiStepLR(double baseLr, IReadOnlyList<int> milestones, double gamma = 0.1, ScheduleUnit unit = ScheduleUnit.Epoch) => new(baseLr, milestones, gamma, unit);
    /// <summary>Decays by γ every advance.</summary>
    public static ExponentialLR ExponentialLR(double baseLr, double gamma, ScheduleUnit unit = ScheduleUnit.Epoch) => new(baseLr, gamma, unit);
    /// <summary>Cosine annealing to η_min over T_max advances.</summary>
    public static CosineAnnealingLR CosineAnnealingLR(double baseLr, int tMax, double etaMin = 0, ScheduleUnit unit = ScheduleUnit.Epoch) => new(baseLr, tMax, etaMin, unit);
    /// <summary>Cosine annealing with warm restarts (SGDR).</summary>
    public static CosineAnnealingWarmRestarts CosineAnnealingWarmRestarts(double baseLr, int t0, int tMult = 1, double etaMin = 0, ScheduleUnit unit = ScheduleUnit.Epoch) => new(baseLr, t0, tMult, etaMin, unit);
    /// <summary>The one-cycle policy.</summary>
    public static OneCycleLR OneCycleLR(double maxLr, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false) => new(maxLr, totalSteps, pctStart, annealStrategy, divFactor, finalDivFactor, threePhase);
    /// <summary>Linear warm-up in front of another schedule.</summary>
    public static LinearWarmup LinearWarmup(ILearningRateSchedule inner, int warmupSteps, double startFactor = 1.0 / 3) => new(inner, warmupSteps, startFactor);
    /// <summary>Reduces the rate when a reported metric stops improving.</summary>
    public static ReduceLROnPlateau ReduceLROnPlateau(double baseLr, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10, double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8) =>
        new(baseLr, mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);

    /// <summary>
    /// A schedule by name (the command line's <c>--schedule</c>) for a run of <paramref name="epochs"/> epochs of
    /// <paramref name="stepsPerEpoch"/> steps: <c>constant</c>/<c>none</c> (null), <c>cosine</c> (annealed over the run),
    /// <c>step</c> (×0.1 every third of the run), <c>exponential</c> (×0.9 per epoch), <c>onecycle</c> (peak <paramref name="lr"/>).
    /// Throws <see cref="ArgumentException"/> for an unknown name.
    /// </summary>
    public static ILearningRateSchedule? ByName(string name, double lr, int epochs, int stepsPerEpoch) => name.ToLowerInvariant() switch
    {
        "constant" or "none" => null,
        "cosine" => new CosineAnnealingLR(lr, epochs),
        "step" => new StepLR(lr, Math.Max(1, epochs / 3)),
        "exponential" => new ExponentialLR(lr, 0.9),
        "onecycle" => new OneCycleLR(lr, epochs * stepsPerEpoch),
        _ => throw new ArgumentException($"unknown schedule '{name}': expected constant, cosine, step, exponential or onecycle"),
    };
}
