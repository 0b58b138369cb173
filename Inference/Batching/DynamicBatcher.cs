using System.Diagnostics;
using System.Threading.Channels;

namespace OnnxKit.Inference;

/// <summary>
/// Queues single requests for one <see cref="Predictor"/> and runs them merged: a batch closes when it holds
/// <see cref="MaxBatchSize"/> rows or when the window since its first request has passed, whichever comes first;
/// results are split back to each caller. A request is validated before it is queued, so a bad request fails
/// alone; a failure of the merged run fails every request in that batch.
/// </summary>
public sealed class DynamicBatcher : IDisposable
{
    private sealed record Item(IReadOnlyDictionary<string, TensorValue> Inputs, long Rows, TaskCompletionSource<Prediction> Done, CancellationToken Cancel);

    private readonly Predictor _predictor;
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = false });
    private readonly long _windowTicks;
    private readonly Action<int>? _onBatch;
    private readonly Task[] _workers;
    private int _depth;

    /// <summary>Starts <paramref name="workers"/> batching loops over <paramref name="predictor"/> (not owned).</summary>
    public DynamicBatcher(Predictor predictor, int maxBatchSize, TimeSpan window, Action<int>? onBatch = null, int workers = 1)
        : this(Enumerable.Repeat(predictor, Math.Max(1, workers)).ToArray(), maxBatchSize, window, onBatch) { }

    /// <summary>
    /// Starts one batching loop per instance of the same model (not owned), each running its batches on its own
    /// session, all taking from one queue.
    /// </summary>
    public DynamicBatcher(IReadOnlyList<Predictor> instances, int maxBatchSize, TimeSpan window, Action<int>? onBatch = null)
    {
        if (maxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, "max batch size must be at least 1");
        if (instances.Count == 0) throw new ArgumentException("a batcher needs at least one model instance", nameof(instances));
        _predictor = instances[0]; MaxBatchSize = maxBatchSize; Window = window; _onBatch = onBatch;
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
        _workers = instances.Select(p => Task.Run(() => LoopAsync(p))).ToArray();
    }

    /// <summary>Most rows merged into one run.</summary>
    public int MaxBatchSize { get; }

    /// <summary>How long a batch waits for more requests after its first.</summary>
    public TimeSpan Window { get; }

    /// <summary>Requests waiting to be run.</summary>
    public int QueueDepth => Volatile.Read(ref _depth);

    /// <summary>True when the model can be batched: every input has a dynamic first dimension.</summary>
    public static bool CanBatch(ModelInfo info) =>
        info.Inputs.Count > 0 && info.Inputs.All(i => i.Dimensions.Length > 0 && i.IsDynamic(0) && ElementTypes.IsSupported(i.ElementType));

    /// <summary>Validates the request (throwing <see cref="ArgumentException"/> at once) and queues it.</summary>
    public Task<Prediction> EnqueueAsync(IReadOnlyDictionary<string, TensorValue> inputs, CancellationToken cancel = default)
    {
        _predictor.Validate(inputs);
        var item = new Item(inputs, inputs[_predictor.Info.Inputs[0].Name].Shape[0],
            new TaskCompletionSource<Prediction>(TaskCreationOptions.RunContinuationsAsynchronously), cancel);
        Interlocked.Increment(ref _depth);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _depth);
            throw new ObjectDisposedException(nameof(DynamicBatcher), $"model '{_predictor.Name}' is shutting down");
        }
        return item.Done.Task;
    }

    private async Task LoopAsync(Predictor predictor)
    {
        var reader = _queue.Reader;
        var batch = new List<Item>();
        Item? carry = null;
        while (carry is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            long rows = 0;
            if (carry is not null) { batch.Add(carry); rows = carry.Rows; carry = null; }
            long deadline = Stopwatch.GetTimestamp() + _windowTicks;
            while (rows < MaxBatchSize)
            {
                if (reader.TryRead(out var it))
                {
                    Interlocked.Decrement(ref _depth);
                    if (batch.Count > 0 && rows + it.Rows > MaxBatchSize) { carry = it; break; }
                    batch.Add(it); rows += it.Rows;
                    continue;
                }
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (batch.Count == 0 || remaining <= 0) break; // another worker took it, or the window closed
                var more = reader.WaitToReadAsync().AsTask();
                // Task.Delay truncates to whole milliseconds: a sub-millisecond remainder would complete at once and
                // turn this wait into a busy loop, so wait at least 1 ms.
                double remainingMs = remaining * 1000.0 / Stopwatch.Frequency;
                var delay = Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(remainingMs))));
                if (await Task.WhenAny(more, delay).ConfigureAwait(false) != more || !more.Result) break;
            }
            if (batch.Count > 0) Execute(batch, predictor);
        }
    }

    private void Execute(List<Item> batch, Predictor predictor)
    {
        var live = batch.Where(i => !i.Cancel.IsCancellationRequested).ToList();
        foreach (var i in batch) if (i.Cancel.IsCancellationRequested) i.Done.TrySetCanceled(i.Cancel);
        if (live.Count == 0) return;
        try
        {
            var results = predictor.RunBatch(live.Select(i => i.Inputs).ToArray());
            _onBatch?.Invoke((int)live.Sum(i => i.Rows));
            for (int k = 0; k < live.Count; k++) live[k].Done.TrySetResult(results[k]);
        }
        catch (Exception e)
        {
            foreach (var i in live) i.Done.TrySetException(e);
        }
    }

    /// <summary>Stops accepting requests, runs what is queued, and waits for the loops to end.</summary>
    public void Dispose()
    {
        if (_queue.Writer.TryComplete()) Task.WaitAll(_workers);
    }
}
