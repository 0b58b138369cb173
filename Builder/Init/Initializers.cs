namespace OnnxKit.Init;

/// <summary>
/// Fills a parameter tensor of a given shape. Fan-in and fan-out follow PyTorch's convention
/// (dimension 1 × receptive field, dimension 0 × receptive field).
/// </summary>
public interface IInitializer
{
    /// <summary>Returns the values of a tensor of <paramref name="shape"/>, drawn from <paramref name="rng"/>.</summary>
    float[] Create(long[] shape, Random rng);
}

/// <summary>The standard initializers (Keras/PyTorch names), with the fan computations they share.</summary>
public static class Initializers
{
    /// <summary>All zeros.</summary>
    public static IInitializer Zeros { get; } = new ConstantInit(0);
    /// <summary>All ones.</summary>
    public static IInitializer Ones { get; } = new ConstantInit(1);
    /// <summary>Every element <paramref name="value"/>.</summary>
    public static IInitializer Constant(float value) => new ConstantInit(value);
    /// <summary>U(low, high).</summary>
    public static IInitializer Uniform(float low = -0.05f, float high = 0.05f) => new UniformInit(_ => (low, high));
    /// <summary>N(mean, std²).</summary>
    public static IInitializer Normal(float mean = 0, float std = 1) => new NormalInit(_ => (mean, std), truncate: false);
    /// <summary>N(mean, std²) truncated to [mean − 2std, mean + 2std] by redrawing (as PyTorch's trunc_normal_ with default bounds).</summary>
    public static IInitializer TruncatedNormal(float mean = 0, float std = 1) => new NormalInit(_ => (mean, std), truncate: true);
    /// <summary>Glorot/Xavier uniform: U(±gain·√(6/(fan_in+fan_out))).</summary>
    public static IInitializer GlorotUniform(float gain = 1) => new UniformInit(s => { var (i, o) = Fans(s); var a = gain * MathF.Sqrt(6f / (i + o)); return (-a, a); });
    /// <summary>Glorot/Xavier normal: N(0, gain²·2/(fan_in+fan_out)).</summary>
    public static IInitializer GlorotNormal(float gain = 1) => new NormalInit(s => { var (i, o) = Fans(s); return (0, gain * MathF.Sqrt(2f / (i + o))); }, false);
    /// <summary>He/Kaiming uniform: U(±gain·√(3/fan)), gain = √(2/(1+a²)) for leaky ReLU slope a (fan_in mode).</summary>
    public static IInitializer HeUniform(float a = 0, bool fanOut = false) =>
        new UniformInit(s => { var (i, o) = Fans(s); var bound = MathF.Sqrt(2f / (1 + a * a)) * MathF.Sqrt(3f / (fanOut ? o : i)); return (-bound, bound); });
    /// <summary>He/Kaiming normal: N(0, 2/((1+a²)·fan)).</summary>
    public static IInitializer HeNormal(float a = 0, bool fanOut = false) =>
        new NormalInit(s => { var (i, o) = Fans(s); return (0, MathF.Sqrt(2f / (1 + a * a)) / MathF.Sqrt(fanOut ? o : i)); }, false);
    /// <summary>
    /// PyTorch's default for Linear/Conv weights: kaiming_uniform with a = √5, i.e. U(±1/√fan_in).
    /// </summary>
    public static IInitializer TorchDefaultWeight { get; } = HeUniform(MathF.Sqrt(5));
    /// <summary>PyTorch's default for Linear/Conv biases: U(±1/√fan_in) where fan_in is the weight's.</summary>
    public static IInitializer TorchDefaultBias(long fanIn) =>
        new UniformInit(_ => { var b = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f; return (-b, b); });

    /// <summary>(fan_in, fan_out) of a weight shape, PyTorch's convention.</summary>
    public static (float FanIn, float FanOut) Fans(long[] shape)
    {
        if (shape.Length < 2) return (shape.Length == 1 ? shape[0] : 1, shape.Length == 1 ? shape[0] : 1);
        long receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    internal static long Count(long[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    internal static float NextNormal(Random rng)
    {
        // Box–Muller; 1 − U keeps the logarithm finite.
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    private sealed class ConstantInit(float value) : IInitializer
    {
        public float[] Create(long[] shape, Random rng) { var a = new float[Count(shape)]; Array.Fill(a, value); return a; }
    }

    private sealed class UniformInit(Func<long[], (float Low, float High)> bounds) : IInitializer
    {
        public float[] Create(long[] shape, Random rng)
        {
            var (lo, hi) = bounds(shape);
            var a = new float[Count(shape)];
            for (int i = 0; i < a.Length; i++) a[i] = lo + (hi - lo) * (float)rng.NextDouble();
            return a;
        }
    }

    private sealed class NormalInit(Func<long[], (float Mean, float Std)> p, bool truncate) : IInitializer
    {
        public float[] Create(long[] shape, Random rng)
        {
            var (mean, std) = p(shape);
            var a = new float[Count(shape)];
            for (int i = 0; i < a.Length; i++)
            {
                float z;
                do z = NextNormal(rng); while (truncate && MathF.Abs(z) > 2f);
                a[i] = mean + std * z;
            }
            return a;
        }
    }
}
