using System.Globalization;

namespace OnnxKit.Training.Tuning;

/// <summary>
/// Makes a parameter active only when another (categorical) parameter took one of <see cref="Values"/>, e.g. a
/// momentum that exists only for <c>optimizer = sgd</c>. An inactive parameter is absent from the trial's values.
/// </summary>
/// <param name="Parent">The name of the parameter this one depends on (defined earlier in the space).</param>
/// <param name="Values">The parent's values that make this parameter active.</param>
public sealed record Condition(string Parent, IReadOnlyList<string> Values);

/// <summary>
/// One searched hyper-parameter. Numeric values are doubles (an integer parameter's are whole numbers);
/// categorical values are strings.
/// </summary>
public abstract record SearchParameter(string Name)
{
    /// <summary>When set, the parameter exists only for these values of another parameter.</summary>
    public Condition? When { get; init; }

    /// <summary>A value drawn from the parameter's prior (uniform, or log-uniform for a log scale).</summary>
    public abstract object SampleUniform(Random rng);

    /// <summary>The value as a command line or a table shows it (invariant culture, no exponent surprises).</summary>
    public static string Format(object value) => value switch
    {
        double d when d == Math.Round(d) && Math.Abs(d) < 1e9 => d.ToString("0", CultureInfo.InvariantCulture),
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>
/// A number searched on an internal axis: the value itself, or its logarithm on a log scale (TPE fits its densities
/// there, so a log-uniform prior is flat on that axis).
/// </summary>
public abstract record NumericParameter(string Name) : SearchParameter(Name)
{
    /// <summary>Lower end of the internal axis.</summary>
    public abstract double AxisLow { get; }
    /// <summary>Upper end of the internal axis.</summary>
    public abstract double AxisHigh { get; }
    /// <summary>A value's position on the internal axis.</summary>
    public abstract double ToAxis(double value);
    /// <summary>The value at a position of the internal axis (rounded and kept in range for integers).</summary>
    public abstract double FromAxis(double position);

    /// <inheritdoc/>
    public override object SampleUniform(Random rng) => FromAxis(AxisLow + rng.NextDouble() * (AxisHigh - AxisLow));
}

/// <summary>A real number in [<paramref name="Low"/>, <paramref name="High"/>], searched on a log scale when <paramref name="Log"/>.</summary>
public sealed record FloatParameter(string Name, double Low, double High, bool Log = false) : NumericParameter(Name)
{
    /// <inheritdoc/>
    public override double AxisLow => Log ? Math.Log(Low) : Low;
    /// <inheritdoc/>
    public override double AxisHigh => Log ? Math.Log(High) : High;
    /// <inheritdoc/>
    public override double ToAxis(double value) => Log ? Math.Log(value) : value;
    /// <inheritdoc/>
    public override double FromAxis(double position) => Math.Clamp(Log ? Math.Exp(position) : position, Low, High);
}

/// <summary>A whole number in [<paramref name="Low"/>, <paramref name="High"/>] (both included), optionally on a log scale.</summary>
/// <remarks>Each integer k owns the axis interval [k, k + 1) (its logarithm on a log scale), so every value has the
/// prior mass its scale gives it and no value at an end is halved.</remarks>
public sealed record IntParameter(string Name, int Low, int High, bool Log = false) : NumericParameter(Name)
{
    /// <inheritdoc/>
    public override double AxisLow => Log ? Math.Log(Low) : Low;
    /// <inheritdoc/>
    public override double AxisHigh => Log ? Math.Log(High + 1.0) : High + 1.0;
    /// <inheritdoc/>
    public override double ToAxis(double value) => Log ? Math.Log(value + 0.5) : value + 0.5;
    /// <inheritdoc/>
    public override double FromAxis(double position) => Math.Clamp(Math.Floor(Log ? Math.Exp(position) : position), Low, High);
}

/// <summary>One of a list of strings (an optimizer name, a schedule, a batch size written as text).</summary>
public sealed record CategoricalParameter(string Name, IReadOnlyList<string> Choices) : SearchParameter(Name)
{
    /// <inheritdoc/>
    public override object SampleUniform(Random rng) => Choices[rng.Next(Choices.Count)];
}
