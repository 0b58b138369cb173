namespace OnnxKit.Training.Tuning;

/// <summary>A finished trial as a sampler sees it: its values and its objective (higher is better).</summary>
public readonly record struct Observation(IReadOnlyDictionary<string, object> Parameters, double Value);

/// <summary>Draws the next trial's values from the space, given the trials observed so far.</summary>
public interface ISampler
{
    /// <summary>The sampler's name as the command line spells it.</summary>
    string Name { get; }

    /// <summary>
    /// Values for every active parameter of <paramref name="space"/> (inactive conditional ones are left out). All
    /// randomness comes from <paramref name="rng"/>, so a trial seeded from the study's seed and its number is reproducible.
    /// </summary>
    Dictionary<string, object> Sample(SearchSpace space, IReadOnlyList<Observation> observed, Random rng);
}

/// <summary>Independent draws from each parameter's prior (uniform, log-uniform for log scales).</summary>
public sealed class RandomSampler : ISampler
{
    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public Dictionary<string, object> Sample(SearchSpace space, IReadOnlyList<Observation> observed, Random rng)
    {
        var values = new Dictionary<string, object>();
        foreach (var p in space.Parameters)
            if (SearchSpace.IsActive(p, values)) values[p.Name] = p.SampleUniform(rng);
        return values;
    }
}
