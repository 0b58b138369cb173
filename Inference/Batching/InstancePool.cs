using System.Threading.Channels;

namespace OnnxKit.Inference;

/// <summary>
/// A fixed set of interchangeable instances (model sessions), each lent to one caller at a time: a caller waits
/// until one is free. This bounds how many runs go at once to the number of instances, as Triton's
/// <c>instance_group.count</c>, and gives each run a session no other run is using.
/// </summary>
/// <typeparam name="T">The instance type.</typeparam>
public sealed class InstancePool<T>
{
    private readonly Channel<T> _free = Channel.CreateUnbounded<T>();

    /// <summary>A pool over <paramref name="instances"/> (at least one).</summary>
    public InstancePool(IReadOnlyList<T> instances)
    {
        if (instances.Count == 0) throw new ArgumentException("an instance pool needs at least one instance", nameof(instances));
        Count = instances.Count;
        foreach (var i in instances) _free.Writer.TryWrite(i);
    }

    /// <summary>Number of instances.</summary>
    public int Count { get; }

    /// <summary>Runs <paramref name="work"/> on a free instance once one is, and returns the instance afterwards.</summary>
    public async Task<TResult> RunAsync<TResult>(Func<T, TResult> work, CancellationToken cancel = default)
    {
        var instance = await _free.Reader.ReadAsync(cancel).ConfigureAwait(false);
        try { return work(instance); }
        finally { _free.Writer.TryWrite(instance); }
    }
}
