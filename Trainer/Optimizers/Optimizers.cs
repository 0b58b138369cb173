using OnnxKit.Training.Optimizers;

namespace OnnxKit;

/// <summary>The optimizer catalogue: one entry per optimizer, PyTorch's arguments and defaults.</summary>
public static class Optimizers
{
    /// <summary>SGD with optional momentum / Nesterov / weight decay.</summary>
    public static Sgd Sgd(double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false) =>
        new(lr, momentum, dampening, weightDecay, nesterov);

    /// <summary>Adam (L2 weight decay, optional AMSGrad).</summary>
    public static Adam Adam(double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false) =>
        new(lr, beta1, beta2, eps, weightDecay, amsgrad);

    /// <summary>AdamW (decoupled weight decay).</summary>
    public static AdamW AdamW(double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false) =>
        new(lr, beta1, beta2, eps, weightDecay, amsgrad);

    /// <summary>Adagrad.</summary>
    public static Adagrad Adagrad(double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10) =>
        new(lr, lrDecay, weightDecay, initialAccumulatorValue, eps);

    /// <summary>RMSprop (optionally centred, with momentum).</summary>
    public static RmsProp RmsProp(double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false) =>
        new(lr, alpha, eps, weightDecay, momentum, centered);

    /// <summary>Adamax.</summary>
    public static Adamax Adamax(double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0) =>
        new(lr, beta1, beta2, eps, weightDecay);

    /// <summary>NAdam.</summary>
    public static NAdam NAdam(double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3) =>
        new(lr, beta1, beta2, eps, weightDecay, momentumDecay);

    /// <summary>Lion.</summary>
    public static Lion Lion(double lr = 1e-4, double beta1 = 0.9, double beta2 = 0.99, double weightDecay = 0) =>
        new(lr, beta1, beta2, weightDecay);

    /// <summary>The names <see cref="ByName"/> accepts (the command line's <c>--optimizer</c>).</summary>
    public static IReadOnlyList<string> Names { get; } = ["adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adamax", "nadam", "lion"];

    /// <summary>
    /// An optimizer by name with PyTorch's defaults for everything but the learning rate and, when given, the weight
    /// decay (decoupled for AdamW and Lion, an L2 term added to the gradient for the others, as in PyTorch; null keeps
    /// each optimizer's default: 0.01 for AdamW, 0 elsewhere); <c>momentum</c> and <c>nesterov</c> are SGD with momentum
    /// 0.9. Throws <see cref="ArgumentException"/> for an unknown name, lr ≤ 0 or a negative weight decay (the optimizer's
    /// own check, naming <c>weight_decay</c>).
    /// </summary>
    public static Optimizer ByName(string name, double lr, double? weightDecay = null)
    {
        if (!(lr > 0)) throw new ArgumentException($"the learning rate must be positive, got {lr}");
        double Decay(double dflt) => weightDecay ?? dflt;
        return name.ToLowerInvariant() switch
        {
            "adam" => Adam(lr, weightDecay: Decay(0)),
            "adamw" => AdamW(lr, weightDecay: Decay(1e-2)),
            "sgd" => Sgd(lr, weightDecay: Decay(0)),
            "momentum" => Sgd(lr, momentum: 0.9, weightDecay: Decay(0)),
            "nesterov" => Sgd(lr, momentum: 0.9, nesterov: true, weightDecay: Decay(0)),
            "rmsprop" => RmsProp(lr, weightDecay: Decay(0)),
            "adagrad" => Adagrad(lr, weightDecay: Decay(0)),
            "adamax" => Adamax(lr, weightDecay: Decay(0)),
            "nadam" => NAdam(lr, weightDecay: Decay(0)),
            "lion" => Lion(lr, weightDecay: Decay(0)),
            _ => throw new ArgumentException($"unknown optimizer '{name}': expected one of {string.Join(", ", Names)}"),
        };
    }
}
