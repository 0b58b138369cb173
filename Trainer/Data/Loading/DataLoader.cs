using System.Threading.Channels;

namespace OnnxKit.Training.Data;

/// <summary>
/// Serves a <see cref="TensorDataset"/> in batches: seeded shuffling (a fresh permutation each epoch, derived from
/// the seed and the epoch number), optional drop of the last partial batch, per-sample transforms, one-hot targets,
/// and background prefetch one batch ahead into reusable pinned buffers.
/// </summary>
public sealed class DataLoader
{
    private readonly ISampleTransform[] _transforms;
    private readonly OneHot? _oneHot;
    private readonly ulong _seed;
    private Batch[]? _buffers;
    private int[]? _order;
    private int _orderEpoch = -1;
    private int _running;

    /// <summary>Creates a loader.</summary>
    /// <param name="dataset">The data.</param>
    /// <param name="batchSize">Samples per batch (positive).</param>
    /// <param name="shuffle">Shuffle each epoch.</param>
    /// <param name="seed">Seed for shuffling and random transforms.</param>
    /// <param name="dropLast">Skip the last batch when it would be smaller than <paramref name="batchSize"/>.</param>
    /// <param name="prefetch">Prepare the next batch on a background task while the current one is used.</param>
    /// <param name="transforms">Per-sample transforms, applied in order.</param>
    /// <param name="oneHot">Emit labels also as one-hot float targets.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is zero or negative.</exception>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = true, int seed = 0, bool dropLast = false, bool prefetch = true,
                      IReadOnlyList<ISampleTransform>? transforms = null, OneHot? oneHot = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be positive");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Prefetch = prefetch;
        _seed = (ulong)(uint)seed;
        _transforms = transforms?.ToArray() ?? [];
        foreach (var t in _transforms) t.Check(dataset.SampleShape);
        if (oneHot is not null)
        {
            if (dataset.Labels is null)
                throw new ArgumentException($"OneHot needs class labels, but {dataset.Source} has float targets", nameof(oneHot));
            if (oneHot.NumClasses < dataset.NumClasses)
                throw new ArgumentException($"OneHot({oneHot.NumClasses}) is narrower than the {dataset.NumClasses} classes of {dataset.Source}", nameof(oneHot));
        }
        _oneHot = oneHot;
        BatchesPerEpoch = dropLast ? dataset.Count / batchSize : (dataset.Count + batchSize - 1) / batchSize;
    }

    /// <summary>The data served.</summary>
    public TensorDataset Dataset { get; }
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }
    /// <summary>Whether a last partial batch is skipped.</summary>
    public bool DropLast { get; }
    /// <summary>Whether batches are prepared in the background.</summary>
    public bool Prefetch { get; }
    /// <summary>Batches in one epoch.</summary>
    public int BatchesPerEpoch { get; }
    /// <summary>The current position (save it to resume later).</summary>
    public LoaderState State { get; private set; }

    /// <summary>Continues from a saved <see cref="State"/>.</summary>
    public void Restore(LoaderState state)
    {
        if (state.Epoch < 0 || state.Position < 0 || state.Position > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(state), state, $"expected epoch ≥ 0 and position in [0, {BatchesPerEpoch}]");
        if (Volatile.Read(ref _running) != 0) throw new InvalidOperationException("cannot restore a DataLoader while an epoch is being enumerated");
        State = state;
    }

    /// <summary>
    /// The rest of the current epoch (all of it unless restored mid-epoch); afterwards <see cref="State"/> points at
    /// the start of the next epoch. Each batch is valid until the next one is requested.
    /// </summary>
    public IEnumerable<Batch> NextEpoch()
    {
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException("this DataLoader is already enumerating an epoch");
        try
        {
            if (State.Position >= BatchesPerEpoch && BatchesPerEpoch > 0) State = new LoaderState(State.Epoch + 1, 0);
            int epoch = State.Epoch;
            var order = OrderOf(epoch);
            var batches = Prefetch ? Prefetched(epoch, order, State.Position) : Direct(epoch, order, State.Position);
            foreach (var batch in batches)
            {
                State = new LoaderState(epoch, batch.Index + 1);
                yield return batch;
            }
            State = new LoaderState(epoch + 1, 0);
        }
        finally { Volatile.Write(ref _running, 0); }
    }

    /// <summary>The sample order of <paramref name="epoch"/> (identity without shuffling).</summary>
    public int[] OrderOf(int epoch)
    {
        if (_order is not null && _orderEpoch == epoch) return _order;
        var order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (Shuffle) new SeededRandom(SeededRandom.Derive(_seed, (ulong)epoch, 0x5E1FUL)).Shuffle(order);
        _orderEpoch = epoch;
        return _order = order;
    }

    private Batch[] Buffers(int count)
    {
        if (_buffers is null || _buffers.Length < count)
        {
            int targetWidth = _oneHot?.NumClasses ?? (Dataset.Targets is not null ? Dataset.TargetWidth : 0);
            _buffers = Enumerable.Range(0, count).Select(_ => new Batch(BatchSize, Dataset.SampleShape, Dataset.Labels is not null, targetWidth)).ToArray();
        }
        return _buffers;
    }

    private IEnumerable<Batch> Direct(int epoch, int[] order, int from)
    {
        var buffer = Buffers(1)[0];
        for (int k = from; k < BatchesPerEpoch; k++)
        {
            Fill(buffer, epoch, k, order);
            yield return buffer;
        }
    }

    // Three buffers circulate: one held by the consumer, one waiting in the channel, one being filled.
    private IEnumerable<Batch> Prefetched(int epoch, int[] order, int from)
    {
        var buffers = Buffers(3);
        var ready = Channel.CreateBounded<Batch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var free = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        foreach (var b in buffers) free.Writer.TryWrite(b);
        using var cancel = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            try
            {
                for (int k = from; k < BatchesPerEpoch; k++)
                {
                    var b = await free.Reader.ReadAsync(cancel.Token).ConfigureAwait(false);
                    Fill(b, epoch, k, order);
                    await ready.Writer.WriteAsync(b, cancel.Token).ConfigureAwait(false);
                }
            }
            finally { ready.Writer.TryComplete(); }
        });
        Batch? held = null;
        try
        {
            while (true)
            {
                if (held is not null) { free.Writer.TryWrite(held); held = null; }
                if (!ready.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
                if (!ready.Reader.TryRead(out held)) continue;
                yield return held;
            }
            producer.GetAwaiter().GetResult(); // surfaces an exception from filling (e.g. a transform's)
        }
        finally
        {
            cancel.Cancel();
            try { producer.Wait(); } catch (AggregateException) { /* cancelled or already surfaced above */ }
        }
    }

    private void Fill(Batch batch, int epoch, int index, int[] order)
    {
        int start = index * BatchSize;
        int count = Math.Min(BatchSize, Dataset.Count - start);
        int size = Dataset.SampleSize;
        var shape = Dataset.SampleShape;
        if (_oneHot is not null) Array.Clear(batch.Targets!, 0, count * _oneHot.NumClasses);
        for (int j = 0; j < count; j++)
        {
            int i = order[start + j];
            var dst = batch.Features.AsSpan(j * size, size);
            Dataset.Sample(i).CopyTo(dst);
            if (_transforms.Length > 0)
            {
                var random = new SeededRandom(SeededRandom.Derive(_seed, (ulong)epoch, (ulong)(start + j)));
                foreach (var t in _transforms) t.Apply(dst, shape, random);
            }
            if (Dataset.Labels is { } labels)
            {
                batch.Labels![j] = labels[i];
                if (_oneHot is not null) batch.Targets![j * _oneHot.NumClasses + (int)labels[i]] = 1f;
            }
            else
                Dataset.Targets.AsSpan(i * Dataset.TargetWidth, Dataset.TargetWidth).CopyTo(batch.Targets.AsSpan(j * Dataset.TargetWidth, Dataset.TargetWidth));
        }
        batch.SetPosition(epoch, index, count);
    }
}
