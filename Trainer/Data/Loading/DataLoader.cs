using System.Threading.Channels;

namespace OnnxKit.Training.Data;

/// <summary>
/// Serves a <see cref="TensorDataset"/> in batches: seeded shuffling (a fresh permutation each epoch, derived from
/// the seed and the epoch number; <see cref="ShuffledBatches"/>) or the rows another <see cref="IBatchSampler"/> chooses,
/// optional drop of the last partial batch, per-sample transforms, one-hot targets, and either background prefetch
/// one batch ahead into reusable pinned buffers (<see cref="NextEpoch"/>) or writing each batch straight into the
/// caller's arrays (<see cref="NextEpochInto(Func{int, ValueTuple{float[], Array}})"/>, what <c>Learner.Fit</c> does with the session's bound input buffers).
/// </summary>
public sealed class DataLoader
{
    private readonly ISampleTransform[] _transforms;
    private readonly OneHot? _oneHot;
    private readonly ulong _seed;
    private readonly IBatchSampler _sampler;
    private readonly TensorDataset? _dataset;
    private readonly int _count;
    private Batch[]? _buffers;
    private IReadOnlyList<int[]>? _batches;
    private int _batchesEpoch = -1;
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
    /// <param name="sampler">Chooses the rows of each batch instead of slices of the shuffled order (<paramref name="shuffle"/>
    /// is then ignored); it is asked for <see cref="BatchesPerEpoch"/> batches per epoch, with 1-based epoch numbers.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is zero or negative.</exception>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = true, int seed = 0, bool dropLast = false, bool prefetch = true,
                      IReadOnlyList<ISampleTransform>? transforms = null, OneHot? oneHot = null, IBatchSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be positive");
        _dataset = dataset;
        _count = dataset.Count;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Prefetch = prefetch;
        _seed = (ulong)(uint)seed;
        _sampler = sampler ?? new ShuffledBatches(batchSize, seed, shuffle);
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

    /// <summary>
    /// A loader of a <see cref="NamedDataset"/> (several named arrays per sample, any element type): the same epochs, order,
    /// samplers and positions as for a <see cref="TensorDataset"/>, served by <see cref="NextEpochInto(IReadOnlyList{string}, Func{int, IReadOnlyList{Array}})"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is zero or negative.</exception>
    public DataLoader(NamedDataset dataset, int batchSize, bool shuffle = true, int seed = 0, bool dropLast = false, IBatchSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be positive");
        Named = dataset;
        _count = dataset.Count;
        BatchSize = batchSize; Shuffle = shuffle; DropLast = dropLast;
        _seed = (ulong)(uint)seed;
        _sampler = sampler ?? new ShuffledBatches(batchSize, seed, shuffle);
        _transforms = [];
        BatchesPerEpoch = dropLast ? _count / batchSize : (_count + batchSize - 1) / batchSize;
    }

    /// <summary>The data served.</summary>
    /// <exception cref="InvalidOperationException">This loader serves a <see cref="NamedDataset"/> (<see cref="Named"/>).</exception>
    public TensorDataset Dataset => _dataset ?? throw new InvalidOperationException("this loader serves a NamedDataset: see Named");
    /// <summary>The named data served (null for a loader of a <see cref="TensorDataset"/>).</summary>
    public NamedDataset? Named { get; }
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
    public IEnumerable<Batch> NextEpoch() =>
        Epoch((epoch, batches, from) => Prefetch ? Prefetched(epoch, batches, from) : Direct(epoch, batches, from), b => b.Index);

    /// <summary>
    /// The rest of the current epoch like <see cref="NextEpoch"/>, each batch written straight into the arrays that
    /// <paramref name="buffers"/>(batch count) returns: features [count × sample size] and targets — <c>long[count]</c>
    /// labels, or <c>float[count × width]</c> for one-hot or regression targets. No prefetch (the caller reads its arrays
    /// until it asks for the next batch); an empty batch (a sampler may choose one) is handed out without asking for arrays.
    /// </summary>
    /// <exception cref="ArgumentException">The targets array is of the other kind than this data's.</exception>
    public IEnumerable<FilledBatch> NextEpochInto(Func<int, (float[] Features, Array Targets)> buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        return Epoch((epoch, batches, from) => Into(epoch, batches, from, buffers), b => b.Index);
    }

    /// <summary>
    /// The rest of the current epoch like <see cref="NextEpochInto(Func{int, ValueTuple{float[], Array}})"/>, with the
    /// next batch written on a background task while the caller uses the current one: <paramref name="buffers"/>(count,
    /// slot) returns the arrays of slot 0 or 1 (it is called from that task), consecutive batches alternate slots
    /// (<see cref="FilledBatch.Slot"/>), and the arrays of the batch the caller holds are not touched until it asks for
    /// the next one. The batches and their contents are those of the non-prefetching form.
    /// </summary>
    /// <exception cref="ArgumentException">The targets array is of the other kind than this data's.</exception>
    public IEnumerable<FilledBatch> NextEpochIntoAlternating(Func<int, int, (float[] Features, Array Targets)> buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        return Epoch((epoch, batches, from) => IntoAhead(epoch, batches, from, buffers), b => b.Index);
    }

    private IEnumerable<FilledBatch> IntoAhead(int epoch, IReadOnlyList<int[]> batches, int from, Func<int, int, (float[] Features, Array Targets)> buffers)
    {
        FilledBatch FillSlot(int k, int slot) => FillInto(epoch, k, batches[k], count => buffers(count, slot)) with { Slot = slot };
        if (from >= BatchesPerEpoch) yield break;
        // The first batch is written here; each later one on a task started when the one before it is handed out.
        Task<FilledBatch> next = Task.FromResult(FillSlot(from, 0));
        try
        {
            for (int k = from; k < BatchesPerEpoch; k++)
            {
                var current = next.GetAwaiter().GetResult();
                int following = k + 1, slot = 1 - current.Slot;
                next = following < BatchesPerEpoch ? Task.Run(() => FillSlot(following, slot)) : Task.FromResult(default(FilledBatch));
                yield return current;
            }
        }
        finally
        {
            // A caller that stops early (early stopping, an exception) leaves no task writing its arrays.
            try { next.Wait(); } catch (AggregateException) { /* its batch is not handed out */ }
        }
    }

    /// <summary>
    /// The rest of the current epoch of a <see cref="NamedDataset"/>, each batch's rows of the arrays <paramref name="names"/> written
    /// straight into the arrays that <paramref name="buffers"/>(batch count) returns, in that order (of the arrays' element types).
    /// </summary>
    /// <exception cref="InvalidOperationException">This loader serves a <see cref="TensorDataset"/>.</exception>
    /// <exception cref="KeyNotFoundException">The dataset has no array of one of the names.</exception>
    public IEnumerable<FilledBatch> NextEpochInto(IReadOnlyList<string> names, Func<int, IReadOnlyList<Array>> buffers)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(buffers);
        var data = Named ?? throw new InvalidOperationException("this loader serves a TensorDataset: use NextEpochInto(buffers)");
        var arrays = names.Select(n => data[n]).ToArray();
        return Epoch((epoch, batches, from) => NamedInto(epoch, batches, from, arrays, buffers), b => b.Index);
    }

    private IEnumerable<FilledBatch> NamedInto(int epoch, IReadOnlyList<int[]> batches, int from, NamedArray[] arrays, Func<int, IReadOnlyList<Array>> buffers)
    {
        for (int k = from; k < BatchesPerEpoch; k++)
        {
            var rows = batches[k];
            if (rows.Length == 0) { yield return new FilledBatch(epoch, k, 0, [], Array.Empty<float>()); continue; }
            var into = buffers(rows.Length);
            for (int a = 0; a < arrays.Length; a++) arrays[a].CopyRows(rows, into[a]);
            yield return new FilledBatch(epoch, k, rows.Length, [], Array.Empty<float>());
        }
    }

    private IEnumerable<T> Epoch<T>(Func<int, IReadOnlyList<int[]>, int, IEnumerable<T>> serve, Func<T, int> indexOf)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException("this DataLoader is already enumerating an epoch");
        try
        {
            if (State.Position >= BatchesPerEpoch && BatchesPerEpoch > 0) State = new LoaderState(State.Epoch + 1, 0);
            int epoch = State.Epoch;
            foreach (var batch in serve(epoch, BatchesOf(epoch), State.Position))
            {
                State = new LoaderState(epoch, indexOf(batch) + 1);
                yield return batch;
            }
            State = new LoaderState(epoch + 1, 0);
        }
        finally { Volatile.Write(ref _running, 0); }
    }

    /// <summary>The sample order of <paramref name="epoch"/> (0-based): its batches' rows one after the other.</summary>
    public int[] OrderOf(int epoch) => [.. BatchesOf(epoch).SelectMany(rows => rows)];

    private IReadOnlyList<int[]> BatchesOf(int epoch)
    {
        if (_batches is not null && _batchesEpoch == epoch) return _batches;
        var batches = _sampler.Batches(_count, epoch + 1, BatchesPerEpoch);
        if (batches.Count != BatchesPerEpoch)
            throw new InvalidOperationException($"{_sampler.GetType().Name} gave {batches.Count} batches for epoch {epoch + 1}, expected {BatchesPerEpoch}");
        _batchesEpoch = epoch;
        return _batches = batches;
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

    private IEnumerable<Batch> Direct(int epoch, IReadOnlyList<int[]> batches, int from)
    {
        var buffer = Buffers(1)[0];
        for (int k = from; k < BatchesPerEpoch; k++)
        {
            Fill(buffer, epoch, k, batches[k]);
            yield return buffer;
        }
    }

    private IEnumerable<FilledBatch> Into(int epoch, IReadOnlyList<int[]> batches, int from, Func<int, (float[] Features, Array Targets)> buffers)
    {
        for (int k = from; k < BatchesPerEpoch; k++) yield return FillInto(epoch, k, batches[k], buffers);
    }

    // Batch k of the epoch (its dataset rows `rows`) written into the arrays `buffers`(count) returns; an empty batch asks for none.
    private FilledBatch FillInto(int epoch, int k, int[] rows, Func<int, (float[] Features, Array Targets)> buffers)
    {
        if (rows.Length == 0) return new FilledBatch(epoch, k, 0, [], Array.Empty<float>());
        var (features, targets) = buffers(rows.Length);
        string? mismatch = TargetKindMismatch(Dataset, targets, _oneHot is not null);
        if (mismatch is not null) throw new ArgumentException(mismatch);
        FillRows(epoch, k, rows, features, targets as long[], targets as float[]);
        return new FilledBatch(epoch, k, rows.Length, features, targets);
    }

    /// <summary>Why <paramref name="targets"/> cannot hold the targets of <paramref name="data"/> (null when it can).</summary>
    internal static string? TargetKindMismatch(TensorDataset data, Array targets, bool oneHot = false)
    {
        bool labels = data.Labels is not null && !oneHot;
        if (labels ? targets is long[] : targets is float[]) return null;
        return $"{data.Source} has {(labels ? "class labels (int64)" : "float targets")}, " +
               $"but the loss takes {(targets is long[] ? "int64 class labels" : "float targets")}";
    }

    // Three buffers circulate: one held by the consumer, one waiting in the channel, one being filled.
    private IEnumerable<Batch> Prefetched(int epoch, IReadOnlyList<int[]> batches, int from)
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
                    Fill(b, epoch, k, batches[k]);
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

    private void Fill(Batch batch, int epoch, int index, int[] rows)
    {
        FillRows(epoch, index, rows, batch.Features, batch.Labels, batch.Targets);
        batch.SetPosition(epoch, index, rows.Length);
    }

    private void FillRows(int epoch, int index, int[] rows, Span<float> features, long[]? labelsOut, float[]? targetsOut)
    {
        int start = index * BatchSize;   // position of the batch's first sample in the epoch, for the transforms' seeds
        var data = Dataset;
        int size = data.SampleSize;
        var shape = data.SampleShape;
        if (_oneHot is not null) Array.Clear(targetsOut!, 0, rows.Length * _oneHot.NumClasses);
        for (int j = 0; j < rows.Length; j++)
        {
            int i = rows[j];
            var dst = features.Slice(j * size, size);
            data.Sample(i).CopyTo(dst);
            if (_transforms.Length > 0)
            {
                var random = new SeededRandom(SeededRandom.Derive(_seed, (ulong)epoch, (ulong)(start + j)));
                foreach (var t in _transforms) t.Apply(dst, shape, random);
            }
            if (data.Labels is { } labels)
            {
                if (_oneHot is not null) targetsOut![j * _oneHot.NumClasses + (int)labels[i]] = 1f;
                if (labelsOut is not null) labelsOut[j] = labels[i];
            }
            else
                data.Targets.AsSpan(i * data.TargetWidth, data.TargetWidth).CopyTo(targetsOut.AsSpan(j * data.TargetWidth, data.TargetWidth));
        }
    }
}

/// <summary>A batch that <see cref="DataLoader.NextEpochInto(Func{int, ValueTuple{float[], Array}})"/> wrote into the caller's arrays.</summary>
/// <param name="Epoch">The epoch (0-based).</param>
/// <param name="Index">The batch's position within its epoch (0-based).</param>
/// <param name="Count">Samples written (the first <paramref name="Count"/> of the arrays; 0 for an empty batch).</param>
/// <param name="Features">The caller's feature array.</param>
/// <param name="Targets">The caller's target array (<c>long[]</c> labels or <c>float[]</c> targets).</param>
public readonly record struct FilledBatch(int Epoch, int Index, int Count, float[] Features, Array Targets)
{
    /// <summary>The buffer slot (0 or 1) the batch was written to by <see cref="DataLoader.NextEpochIntoAlternating"/>; 0 otherwise.</summary>
    public int Slot { get; init; }
}
