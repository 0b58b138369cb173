using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Optimizers;
using TrainingSession = OnnxKit.Training.Session.TrainingSession;
using OnnxKit.Training.Session;
using OnnxKit.Training.Session.Lowering;
using OnnxKit.Training.Session.Lowering.HostUpdate;

namespace OnnxKit.Training.Distributed;

/// <summary>
/// One optimisation step split in two halves with the gradients exchanged between them: data-parallel training over
/// the ranks of an <see cref="ICommunicator"/>, and gradient accumulation over micro-batches (in one process too).
/// </summary>
/// <remarks>
/// Each rank runs the shard-gradient graph (<see cref="ShardGradients"/>) on its pieces of the step's batch
/// (<see cref="StepPlan"/>). Gradients, next BatchNorm statistics and loss land in one contiguous bucket whose slices
/// ORT writes directly; each piece is added in with weight rows/step-rows, so the sum over pieces and ranks is the mean
/// over the whole batch that a fused step computes. The bucket is summed over the ranks by one in-place allreduce,
/// with, behind it, the model output of every row of the step (each rank fills its rows, zeros elsewhere) so that every
/// rank updates its metrics on the whole batch. Then every rank runs the same optimizer graph on the same summed
/// gradients, whose inputs are bound to the bucket's slices, into the session's other state set: the ranks' states stay
/// bit-identical without any further exchange. Parameters come from rank 0 (<see cref="BroadcastState"/>).
/// <para>
/// Within a process the rows can be split further over <see cref="Lanes"/> threads, each running the gradient graph on
/// its own contiguous part with its own bindings and result buffer (ORT's <c>Run</c> is thread-safe), as if each lane
/// were a rank of <c>Size × Lanes</c>: on small layers two single-threaded runs side by side beat one run whose operators
/// are each split over two threads. The lanes' results are summed before the allreduce; in one process with an
/// element-wise update (<see cref="ParameterShardedOptimizer"/>) each lane instead sums the gradients of the element
/// ranges it then updates, so no pass over all gradients runs on one thread.
/// </para>
/// </remarks>
internal sealed class DataParallelStep : IDisposable
{
    private readonly TrainingSession _session;
    private readonly ICommunicator _comm;
    private readonly InferenceSession _gradients;
    private readonly InferenceSession? _optimizer;                    // the whole update on one session's threads, or
    private readonly ParameterShardedOptimizer? _shardedOptimizer;    // the update cut by elements over the lanes, or
    private readonly HostOptimizer? _hostOptimizer;                   // the update run on the host (CPU lowering)
    private readonly Manifest _manifest;
    private readonly int _featureSize, _targetSize, _outputSize;
    private readonly long[] _featureShape, _targetShape, _outputShape;
    private readonly bool _int64Targets;
    // Bucket layout: [gradients of every parameter | next value of every buffer | loss], then the step's outputs.
    private readonly int _resultLength;
    private readonly int _gradientLength;     // the bucket's leading gradients (the rest: buffers, loss)
    private readonly Lane[] _lanes;           // per thread: its gradient runs' results and bindings
    // One lane, one rank, one micro-batch: the only piece is the whole step, so its run reads the step's input arrays and
    // writes the bucket directly (no copies, no weighting pass).
    private readonly bool _direct;
    private float[] _bucket;                  // the weighted sum over pieces and ranks (the optimizer reads here)
    private readonly List<(string Name, int Offset, long[] Shape)> _slices = [];
    private readonly (int State, int Offset, int Length)[] _buffers;
    private OrtValue[] _bucketViews = [];
    private readonly OrtIoBinding[] _optimizerBindings = new OrtIoBinding[2];
    private readonly long[] _stepRows = new long[1];
    private readonly OrtValue _stepRowsValue;
    private readonly float[] _lr = new float[1];
    private readonly OrtValue _lrValue;
    private readonly RunOptions _run = new();
    // Two sets of the step's input arrays: the loader writes the next batch into one while the step reads the other.
    private readonly InputSet[] _inputs = new InputSet[2];
    private int _count, _slot, _bucketRows = -1;

    /// <summary>Rows per micro-batch over all ranks (the command line's global <c>--batch-size</c>).</summary>
    public int MicroBatch { get; }
    /// <summary>Micro-batches summed into one step.</summary>
    public int AccumulateSteps { get; }
    /// <summary>
    /// True when the loader should write the next batch while a step runs (<see cref="InputArrays"/>): one process whose
    /// ONNX Runtime threads leave a core free for it; where they take every core the writing would only compete with them.
    /// </summary>
    public bool PrefetchInputs { get; }
    /// <summary>Threads of this process that compute the gradients of a rank's rows side by side.</summary>
    public int Lanes => _lanes.Length;
    /// <summary>Time spent in the allreduce since the start (for the scaling model in bench/RESULTS.md).</summary>
    public TimeSpan CommunicationTime { get; private set; }
    /// <summary>Time spent computing gradients and updates since the start.</summary>
    public TimeSpan ComputeTime { get; private set; }

    public DataParallelStep(TrainingSession session, OnnxModel shardGradients, Optimizer optimizer, ICommunicator comm,
        int microBatch, int accumulateSteps, TrainingSessionOptions options, int lanes = 1, FusedUpdate? hostUpdate = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        if (!session.StateOnHost) throw new NotSupportedException("data-parallel training and gradient accumulation run on the CPU (device 'cpu') in this version");
        if (optimizer.HostInputs.Count > 0)
            throw new NotSupportedException($"optimizer '{optimizer.Name}' draws per-step inputs on the host (DP-SGD's noise); it cannot be split across ranks or micro-batches");
        ArgumentOutOfRangeException.ThrowIfLessThan(microBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(accumulateSteps, 1);
        _session = session; _comm = comm; _manifest = session.Manifest;
        MicroBatch = microBatch; AccumulateSteps = accumulateSteps;
        var parameters = _manifest.State.Select((s, i) => (s, i)).Where(t => t.s.Kind == "parameter").ToList();
        var optimizerGraph = OptimizerGraph.Build(optimizer, parameters.Select(t => (t.s.Name, t.s.Shape)).ToList());
        OutputIdentities.Remove(optimizerGraph.Graph);
        var (gradBytes, optBytes) = ProviderLowering.Apply(shardGradients.ToBytes(), optimizerGraph.ToBytes(), options);
        // Each lane's gradient run gets its share of the threads. The update is cut over the lanes where it is element-wise,
        // else it runs alone on all the threads.
        using (var so = (options with { IntraOpThreads = Math.Max(1, options.IntraOpThreads / lanes) }).ToSessionOptions()) _gradients = new InferenceSession(gradBytes, so);
        // With hostUpdate (TrainingSessionOptions.HostOptimizerUpdate) the update runs on the host, else as ONNX Runtime nodes.
        if (hostUpdate is null && (lanes == 1 || !ParameterShardedOptimizer.Applies(optimizer)))
            using (var so = options.ToSessionOptions()) _optimizer = new InferenceSession(optBytes, so);

        int offset = 0;
        foreach (var (s, _) in parameters) { _slices.Add((s.Name + ".grad", offset, s.Shape)); offset += Elements(s.Shape); }
        _gradientLength = offset;
        var buffers = new List<(int, int, int)>();
        foreach (var (s, i) in _manifest.State.Select((s, i) => (s, i)).Where(t => t.s.Kind == "buffer"))
        {
            if (s.Type != "float") throw new NotSupportedException($"buffer '{s.Name}' is {s.Type}; the split step averages float buffers only");
            _slices.Add((s.Next, offset, s.Shape)); buffers.Add((i, offset, Elements(s.Shape))); offset += Elements(s.Shape);
        }
        _buffers = buffers.ToArray();
        _slices.Add((_manifest.Loss, offset, [])); offset += 1;
        _resultLength = offset;
        _direct = lanes == 1 && comm.Size == 1 && accumulateSteps == 1;
        PrefetchInputs = comm.Size == 1 && options.IntraOpThreads < Environment.ProcessorCount;
        _lanes = Enumerable.Range(0, lanes).Select(_ => new Lane(this)).ToArray();
        _lrValue = OrtValue.CreateTensorValueFromMemory(_lr, []);
        var gradientOffsets = _slices.Where(sl => sl.Name.EndsWith(".grad", StringComparison.Ordinal))
            .ToDictionary(sl => sl.Name[..^".grad".Length], sl => sl.Offset);
        if (hostUpdate is not null) _hostOptimizer = new HostOptimizer(hostUpdate, session, gradientOffsets, lanes);
        else if (_optimizer is null) _shardedOptimizer = new ParameterShardedOptimizer(session, optimizer, gradientOffsets, _lrValue, lanes, options);
        _bucket = [];

        var gradOut = _gradients.OutputMetadata[_manifest.Output];
        _outputShape = gradOut.Dimensions.Skip(1).Select(d => (long)d).ToArray();
        _outputSize = (int)_outputShape.Aggregate(1L, (a, d) => a * d);
        _featureSize = session.FeatureSize; _targetSize = session.TargetSize;
        _featureShape = _gradients.InputMetadata[TrainingArtifacts.InputName].Dimensions.Skip(1).Select(d => (long)d).ToArray();
        _targetShape = _gradients.InputMetadata[TrainingArtifacts.TargetName].Dimensions.Skip(1).Select(d => (long)d).ToArray();
        _int64Targets = session.TargetType == ElementType.Int64;
        for (int k = 0; k < 2; k++) _inputs[k] = new InputSet(_int64Targets);
        _stepRowsValue = OrtValue.CreateTensorValueFromMemory(_stepRows, []);
        Reserve(microBatch * accumulateSteps);
    }

    private static int Elements(long[] shape) => (int)shape.Aggregate(1L, (a, d) => a * d);

    private static OrtValue View(float[] pinned, int offset, long[] shape) =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pinned.AsMemory(offset, Elements(shape)), shape);

    // The bucket with room for the outputs of a step of up to `rows` rows.
    private void Reserve(int rows)
    {
        if (_bucketRows >= rows) return;
        _bucketRows = rows;
        foreach (var v in _bucketViews) v.Dispose();
        foreach (var b in _optimizerBindings) b?.Dispose();
        _bucket = GC.AllocateArray<float>(_resultLength + rows * _outputSize, pinned: true);
        _bucketViews = _slices.Select(sl => View(_bucket, sl.Offset, sl.Shape)).ToArray();
        // Direct pieces are bound to the arrays just replaced.
        if (_direct) _lanes[0].DropPieces();
        if (_optimizer is not null) for (int k = 0; k < 2; k++) _optimizerBindings[k] = OptimizerBinding(k, _optimizer);
        _shardedOptimizer?.Bind(_bucket);
    }

    private OrtIoBinding OptimizerBinding(int parity, InferenceSession optimizer)
    {
        var b = optimizer.CreateIoBinding();
        var inputs = optimizer.InputNames.ToHashSet();
        var outputs = optimizer.OutputNames.ToHashSet();
        b.BindInput(Optimizer.LearningRateName, _lrValue);
        for (int i = 0; i < _manifest.State.Length; i++)
        {
            var s = _manifest.State[i];
            if (inputs.Contains(s.Name)) b.BindInput(s.Name, _session.StateSet(parity)[i]);
            if (outputs.Contains(s.Next)) b.BindOutput(s.Next, _session.StateSet(1 - parity)[i]);
        }
        for (int j = 0; j < _slices.Count; j++)
            if (inputs.Contains(_slices[j].Name)) b.BindInput(_slices[j].Name, _bucketViews[j]);
        return b;
    }

    /// <summary>The arrays a step of <paramref name="count"/> rows (the whole step's batch, every rank) is written into.</summary>
    public (float[] Features, Array Targets) InputBuffers(int count)
    {
        var arrays = InputArrays(count, 0);
        Use(count, 0);
        return arrays;
    }

    /// <summary>
    /// The arrays of input slot <paramref name="slot"/> (0 or 1) with room for <paramref name="count"/> rows, for a loader
    /// that writes the next step's batch while this step runs on the other slot (safe to call from its thread).
    /// </summary>
    public (float[] Features, Array Targets) InputArrays(int count, int slot)
    {
        var set = _inputs[slot];
        if (set.Features.Length < count * _featureSize) set.Grow(count, _featureSize, _targetSize);
        return (set.Features, set.Targets);
    }

    // The next step reads `count` rows of input slot `slot`.
    private void Use(int count, int slot)
    {
        Reserve(count);
        _count = count; _slot = slot;
    }

    /// <summary>The model output of every row of the last step ([count, …] flattened), the same on every rank.</summary>
    public ReadOnlySpan<float> Outputs => _bucket.AsSpan(_resultLength, _count * _outputSize);

    /// <summary>
    /// One optimisation step on the <paramref name="count"/> rows written into <see cref="InputBuffers"/>, or, given
    /// <paramref name="slot"/>, into that slot's <see cref="InputArrays"/>; returns the loss over all of them.
    /// </summary>
    public float Step(int count, double lr, int? slot = null)
    {
        if (slot is { } written) Use(count, written);
        else if (count != _count) throw new ArgumentException($"the step's batch was written for {_count} rows, not {count}: call InputBuffers({count}) first");
        for (int l = 0; l < _lanes.Length; l++)
            foreach (var piece in LanePieces(count, l))
                if (piece.Count < _manifest.MinTrainingBatch)
                    throw new ArgumentException($"rank {_comm.Rank}'s share of a batch of {count} rows{(_lanes.Length > 1 ? $" split over {_lanes.Length} threads" : "")} has a part of {piece.Count} sample, " +
                        $"but this model trains on at least {_manifest.MinTrainingBatch} per pass (BatchNorm); use a batch of at least {_manifest.MinTrainingBatch * _comm.Size * _lanes.Length} rows " +
                        "per micro-batch or drop the last batch");
        var sw = Stopwatch.StartNew();
        int parity = _session.CurrentSet;
        var sum = _bucket.AsSpan(0, _resultLength + count * _outputSize);
        // Rows of other ranks stay zero in the outputs' sum; this rank's rows are written by its lanes.
        sum[_resultLength..].Clear();
        _stepRows[0] = count;
        SideBySide.Run(_lanes.Length, l => RunLane(l, count, parity));
        // In one process with the update cut over the lanes, each lane adds up the gradients of its own ranges just
        // before its update (ParameterShardedOptimizer); otherwise all of them are added here, before the allreduce.
        bool lanesAddGradients = (_shardedOptimizer is not null || _hostOptimizer is not null) && _comm.Size == 1;
        int summedHere = lanesAddGradients ? _gradientLength : 0;
        for (int l = 1; l < _lanes.Length; l++)
            TensorPrimitives.Add(sum[summedHere.._resultLength], _lanes[l].Sum.AsSpan(summedHere), sum[summedHere.._resultLength]);
        var compute = sw.Elapsed;
        _comm.AllreduceSum(sum);
        CommunicationTime += sw.Elapsed - compute;
        sw.Restart();
        var next = _session.StateSet(1 - parity);
        foreach (var (state, offset, length) in _buffers)
            _bucket.AsSpan(offset, length).CopyTo(next[state].GetTensorMutableDataAsSpan<float>());
        _lr[0] = (float)lr;
        var addLaneGradients = lanesAddGradients && _lanes.Length > 1 ? AddLaneGradients : (Action<int, int>?)null;
        if (_hostOptimizer is not null) _hostOptimizer.Run(parity, (float)lr, _bucket, addLaneGradients);
        else if (_shardedOptimizer is not null) _shardedOptimizer.Run(parity, addLaneGradients);
        else _optimizer!.RunWithBinding(_run, _optimizerBindings[parity]);
        _session.Advance();
        ComputeTime += compute + sw.Elapsed;
        return _bucket[_resultLength - 1];
    }

    // Adds the other lanes' weighted gradients over [offset, offset + length) into lane 0's, which the update reads.
    private void AddLaneGradients(int offset, int length)
    {
        var into = _bucket.AsSpan(offset, length);
        for (int l = 1; l < _lanes.Length; l++) TensorPrimitives.Add(into, _lanes[l].Sum.AsSpan(offset, length), into);
    }

    // Lane l of rank r computes the pieces a rank r·Lanes + l of a job of Size·Lanes ranks would.
    private IEnumerable<(int Start, int Count)> LanePieces(int count, int lane) =>
        StepPlan.Pieces(count, MicroBatch, _comm.Rank * _lanes.Length + lane, _comm.Size * _lanes.Length);

    // Runs lane l's pieces of the step and leaves their weighted sum (weight rows/step-rows each) in the lane's sum
    // (lane 0's is the bucket itself), their outputs at their rows of the bucket.
    private void RunLane(int l, int count, int parity)
    {
        var lane = _lanes[l];
        var into = l == 0 ? _bucket.AsSpan(0, _resultLength) : lane.Sum;
        bool first = true;
        foreach (var (start, n) in LanePieces(count, l))
        {
            var input = _inputs[_slot];
            var piece = lane.PieceOf(n, _slot, input.Generation);
            if (piece.Direct)
            {
                _gradients.RunWithBinding(lane.Run, piece.Bindings[parity]);
                first = false;
                continue;
            }
            input.Features.AsSpan(start * _featureSize, n * _featureSize).CopyTo(piece.Features);
            Array.Copy(input.Targets, start * _targetSize, piece.Targets, 0, n * _targetSize);
            lane.RowOffset[0] = start;
            _gradients.RunWithBinding(lane.Run, piece.Bindings[parity]);
            float w = n / (float)count;
            if (first) TensorPrimitives.Multiply(lane.Results, w, into);
            else TensorPrimitives.MultiplyAdd(lane.Results, w, into, into);
            first = false;
            piece.Output.GetTensorDataAsSpan<float>().CopyTo(_bucket.AsSpan(_resultLength + start * _outputSize, n * _outputSize));
        }
        if (first) into.Clear();
    }

    /// <summary>Makes every rank's state (parameters, optimizer state, buffers, step counter) rank 0's.</summary>
    public void BroadcastState()
    {
        if (_comm.Size == 1) return;
        foreach (var v in _session.StateSet(_session.CurrentSet)) _comm.Broadcast(v.GetTensorMutableRawData(), 0);
        var step = new long[] { _session.StepCount };
        _comm.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(step.AsSpan()), 0);
        _session.SetStepCount(step[0]);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var lane in _lanes) lane.Dispose();
        foreach (var b in _optimizerBindings) b?.Dispose();
        foreach (var v in _bucketViews) v.Dispose();
        _stepRowsValue.Dispose(); _lrValue.Dispose(); _run.Dispose();
        _gradients.Dispose(); _optimizer?.Dispose(); _shardedOptimizer?.Dispose();
    }

    /// <summary>One thread's share of the gradient runs: the buffer ORT writes a run's results into, the sum of its pieces, and its bindings.</summary>
    private sealed class Lane : IDisposable
    {
        private readonly DataParallelStep _step;
        private readonly Dictionary<int, Piece> _pieces = [];
        public readonly float[] Results;     // one gradient run's results (ORT writes here)
        public readonly OrtValue[] Views;    // the slices of Results bound as the gradient graph's outputs
        public readonly float[] Sum;         // the weighted sum of this lane's pieces (lane 0 sums into the bucket instead)
        public readonly long[] RowOffset = new long[1];
        public readonly OrtValue RowOffsetValue;
        public readonly RunOptions Run = new();

        public Lane(DataParallelStep step)
        {
            _step = step;
            Results = GC.AllocateArray<float>(step._resultLength, pinned: true);
            Views = step._slices.Select(sl => View(Results, sl.Offset, sl.Shape)).ToArray();
            Sum = new float[step._resultLength];
            RowOffsetValue = OrtValue.CreateTensorValueFromMemory(RowOffset, []);
        }

        public void DropPieces()
        {
            foreach (var p in _pieces.Values) p.Dispose();
            _pieces.Clear();
        }

        // A piece of `rows` rows reading input slot `slot` (a direct piece is bound to that slot's arrays of `generation`).
        public Piece PieceOf(int rows, int slot, int generation)
        {
            int key = 2 * rows + (_step._direct ? slot : 0);
            if (_pieces.TryGetValue(key, out var p))
            {
                if (!p.Direct || p.Generation == generation) return p;
                p.Dispose();
                _pieces.Remove(key);
            }
            // A step has at most two piece sizes (full shards and the last, shorter ones) per slot; an epoch's last step adds a few.
            if (_pieces.Count >= 8)
            {
                var evict = _pieces.Keys.Min();
                _pieces[evict].Dispose();
                _pieces.Remove(evict);
            }
            return _pieces[key] = new Piece(_step, this, rows, slot);
        }

        public void Dispose()
        {
            foreach (var p in _pieces.Values) p.Dispose();
            foreach (var v in Views) v.Dispose();
            RowOffsetValue.Dispose(); Run.Dispose();
        }
    }

    /// <summary>Input and output tensors of one piece size, and its gradient-graph binding per state parity.</summary>
    private sealed class Piece : IDisposable
    {
        public readonly float[] Features;
        public readonly Array Targets;
        public readonly OrtValue FeatureValue, TargetValue, Output;
        public readonly OrtIoBinding[] Bindings = new OrtIoBinding[2];
        /// <summary>Bound to an input slot's arrays and the bucket (see <see cref="DataParallelStep._direct"/>).</summary>
        public readonly bool Direct;
        /// <summary>The generation of the slot's arrays a direct piece is bound to.</summary>
        public readonly int Generation;

        public Piece(DataParallelStep d, Lane lane, int rows, int slot)
        {
            Direct = d._direct;
            long[] fshape = [rows, .. d._featureShape], tshape = [rows, .. d._targetShape], oshape = [rows, .. d._outputShape];
            var input = d._inputs[slot];
            Generation = input.Generation;
            Features = Direct ? input.Features : new float[rows * d._featureSize];
            Targets = Direct ? input.Targets : d._int64Targets ? new long[rows * d._targetSize] : new float[rows * d._targetSize];
            var memory = OrtMemoryInfo.DefaultInstance;
            FeatureValue = OrtValue.CreateTensorValueFromMemory(memory, Features.AsMemory(0, rows * d._featureSize), fshape);
            TargetValue = d._int64Targets
                ? OrtValue.CreateTensorValueFromMemory(memory, ((long[])Targets).AsMemory(0, rows * d._targetSize), tshape)
                : OrtValue.CreateTensorValueFromMemory(memory, ((float[])Targets).AsMemory(0, rows * d._targetSize), tshape);
            Output = Direct
                ? OrtValue.CreateTensorValueFromMemory(memory, d._bucket.AsMemory(d._resultLength, rows * d._outputSize), oshape)
                : OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, oshape);
            var inputs = d._gradients.InputNames.ToHashSet();
            for (int k = 0; k < 2; k++)
            {
                var b = d._gradients.CreateIoBinding();
                b.BindInput(TrainingArtifacts.InputName, FeatureValue);
                b.BindInput(TrainingArtifacts.TargetName, TargetValue);
                if (inputs.Contains(ShardGradients.RowOffsetName)) b.BindInput(ShardGradients.RowOffsetName, lane.RowOffsetValue);
                if (inputs.Contains(ShardGradients.StepRowsName)) b.BindInput(ShardGradients.StepRowsName, d._stepRowsValue);
                for (int i = 0; i < d._manifest.State.Length; i++)
                    if (inputs.Contains(d._manifest.State[i].Name)) b.BindInput(d._manifest.State[i].Name, d._session.StateSet(k)[i]);
                for (int j = 0; j < d._slices.Count; j++)
                    if (d._gradients.OutputNames.Contains(d._slices[j].Name)) b.BindOutput(d._slices[j].Name, Direct ? d._bucketViews[j] : lane.Views[j]);
                b.BindOutput(d._manifest.Output, Output);
                Bindings[k] = b;
            }
        }

        public void Dispose()
        {
            foreach (var b in Bindings) b.Dispose();
            FeatureValue.Dispose(); TargetValue.Dispose(); Output.Dispose();
        }
    }

    /// <summary>One slot's input arrays; they are replaced (a new generation) when a larger batch arrives.</summary>
    private sealed class InputSet(bool int64Targets)
    {
        public float[] Features = [];
        public Array Targets = int64Targets ? Array.Empty<long>() : Array.Empty<float>();
        public volatile int Generation;

        public void Grow(int rows, int featureSize, int targetSize)
        {
            Features = new float[rows * featureSize];
            Targets = int64Targets ? new long[rows * targetSize] : new float[rows * targetSize];
            Generation++;
        }
    }
}
