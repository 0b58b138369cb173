namespace OnnxKit.Training.Tuning;

/// <summary>Decides after an epoch whether a trial stops early.</summary>
public interface IPruner
{
    /// <summary>The pruner's name as the command line spells it.</summary>
    string Name { get; }

    /// <summary>
    /// Whether the trial that reported <paramref name="value"/> (higher is better) after <paramref name="epoch"/> should
    /// stop, given the other trials it competes with (their per-epoch values).
    /// </summary>
    bool ShouldPrune(int epoch, double value, IEnumerable<TrialRecord> others);
}

/// <summary>Never stops a trial (every trial runs its epochs).</summary>
public sealed class NoPruner : IPruner
{
    /// <inheritdoc/>
    public string Name => "none";
    /// <inheritdoc/>
    public bool ShouldPrune(int epoch, double value, IEnumerable<TrialRecord> others) => false;
}

/// <summary>
/// Asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel Hyperparameter Tuning"): rungs
/// at <c>minEpochs · eta^k</c> epochs below <c>maxEpochs</c>. A trial reaching a rung continues only if its value is
/// among the top 1/eta of the values reported at that rung so far, itself included (with fewer than eta values there,
/// only the best so far continues). Decisions never wait for other trials, so early arrivals are judged against fewer
/// competitors — the price of asynchrony the paper accepts.
/// </summary>
public sealed class AshaPruner : IPruner
{
    /// <summary>Creates the pruner.</summary>
    /// <exception cref="ArgumentOutOfRangeException">minEpochs &lt; 1 or eta &lt; 2.</exception>
    public AshaPruner(int minEpochs, int eta, int maxEpochs)
    {
        if (minEpochs < 1) throw new ArgumentOutOfRangeException(nameof(minEpochs), minEpochs, "ASHA's first rung needs at least 1 epoch");
        if (eta < 2) throw new ArgumentOutOfRangeException(nameof(eta), eta, "ASHA's reduction factor must be at least 2");
        var rungs = new List<int>();
        for (long r = minEpochs; r < maxEpochs; r *= eta) rungs.Add((int)r);
        Rungs = rungs; Eta = eta;
    }

    /// <inheritdoc/>
    public string Name => "asha";
    /// <summary>The epochs at which trials are compared.</summary>
    public IReadOnlyList<int> Rungs { get; }
    /// <summary>Reduction factor: 1/eta of each rung is promoted.</summary>
    public int Eta { get; }

    /// <inheritdoc/>
    public bool ShouldPrune(int epoch, double value, IEnumerable<TrialRecord> others)
    {
        if (!Rungs.Contains(epoch)) return false;
        if (!double.IsFinite(value)) return true;
        var atRung = others.Where(t => t.Intermediate.ContainsKey(epoch)).Select(t => t.Intermediate[epoch]).Append(value)
            .OrderByDescending(v => v).ToList();
        int cut = Math.Max(0, atRung.Count / Eta - 1);
        return value < atRung[cut];
    }
}
