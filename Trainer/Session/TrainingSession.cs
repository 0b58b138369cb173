using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session.Lowering;
using OnnxKit.Training.Session.Memory;

namespace OnnxKit.Training.Session;

/// <summary>
/// Runs training artifacts on ONNX Runtime. The state (parameters, optimizer slots, buffers) lives in two sets
/// of ORT-owned tensors; step k reads set A and writes set B through one <see cref="OrtIoBinding"/>, step k+1
/// the reverse, so no parameter is allocated or copied to managed memory per step. Batches are written into
/// fixed buffers that the bindings already point at. On CUDA the state and the model output live in device memory
/// (<see cref="StateMemory"/>): a step copies the batch in (from pinned host memory) and the loss and the metrics' batch
/// sums out (the metrics given at construction, computed in the graphs: <see cref="UpdateMetrics"/>); the outputs cross only
/// when <see cref="LastOutput"/> is read, the state only when it is (<see cref="State"/>, checkpoints, exports).
/// </summary>
/// <remarks>
/// The step API is three calls: <see cref="InputBuffers"/> gives the arrays a batch is written into,
/// <see cref="Step(int, double)"/> runs one optimisation step on them at a learning rate, and <see cref="LastOutput"/>
/// holds the model output of that batch. The graph needs nothing else per step: the optimizer's step counter and bias
/// corrections are state inside it. <see cref="State"/>, <see cref="LoadState"/> and <see cref="SaveCheckpoint"/> move
/// the whole state (parameters, optimizer slots, buffers, step counter) between the session and the host.
/// </remarks>
public sealed class TrainingSession : IDisposable
{
    private readonly InferenceSession _train;
    private readonly InferenceSession _eval;
    private readonly Manifest _manifest;
    private readonly StateMemory _memory;
    private readonly OrtValue[][] _state = new OrtValue[2][];
    private readonly Dictionary<int, BatchBindings> _bindings = [];
    private readonly float[] _learningRate = new float[1];
    private readonly OrtValue _learningRateTensor;
    private readonly int _stepCounterIndex;  // the optimizer's step counter in the state, -1 when absent
    private readonly (HostStepInput Input, float[] Values, OrtValue Tensor)[] _hostInputs;
    private readonly RunOptions _run = new();
    private readonly BatchTensor[] _batchInputs;   // the model's inputs, then the targets (a one-input model: features, target)
    private readonly BatchTensor[] _outputs;       // the model's outputs (float)
    private readonly ElementType _targetType;
    private readonly MetricOutputs.Slice[] _trainMetrics, _evalMetrics;   // the metrics' sums in each graph (device memory only)
    private int _current;                    // which state set holds the latest values

    /// <summary>Number of steps taken (restored from checkpoints).</summary>
    public long StepCount { get; private set; }

    /// <summary>The manifest of the artifacts.</summary>
    public Manifest Manifest => _manifest;

    /// <summary>
    /// Opens in-memory artifacts; <paramref name="optimizer"/> is the one they were built with (checked by name).
    /// <paramref name="metrics"/> are those <see cref="UpdateMetrics"/> will be given: where the outputs live on a device,
    /// their graph forms are computed inside the steps and evaluations.
    /// </summary>
    public TrainingSession(TrainingArtifacts artifacts, Optimizer optimizer, TrainingSessionOptions? options = null, IReadOnlyList<Metric>? metrics = null)
        : this(artifacts.TrainStep.ToBytes(), artifacts.Eval.ToBytes(), artifacts.Manifest, artifacts.InitialState, optimizer, options, metrics) { }

    /// <summary>
    /// Opens an artifacts directory written by <see cref="TrainingArtifacts.Save"/> (state from its checkpoint); <paramref name="optimizer"/>
    /// is the one they were built with (checked by name); <paramref name="metrics"/> as for the constructor.
    /// </summary>
    public static TrainingSession Open(string directory, Optimizer optimizer, TrainingSessionOptions? options = null, IReadOnlyList<Metric>? metrics = null)
    {
        var m = Manifest.Load(Path.Combine(directory, "manifest.json"));
        var (tensors, meta) = SafeTensors.Read(Path.Combine(directory, m.Checkpoint));
        var s = new TrainingSession(File.ReadAllBytes(Path.Combine(directory, m.TrainStep)), File.ReadAllBytes(Path.Combine(directory, m.Eval)),
            m, tensors.ToDictionary(t => t.Name), optimizer, options, metrics);
        if (meta.TryGetValue("step", out var st)) s.StepCount = long.Parse(st);
        return s;
    }

    private TrainingSession(byte[] trainStep, byte[] eval, Manifest manifest, IReadOnlyDictionary<string, NamedTensor> initial, Optimizer optimizer,
        TrainingSessionOptions? options, IReadOnlyList<Metric>? metrics)
    {
        options ??= new TrainingSessionOptions();
        ArgumentNullException.ThrowIfNull(optimizer);
        // Version-1 artifacts took host-computed bias corrections as inputs; this session feeds only the learning rate.
        if (!manifest.StepScalars.SequenceEqual([Optimizer.LearningRateName]))
            throw new InvalidDataException($"these artifacts take the per-step inputs [{string.Join(", ", manifest.StepScalars)}] (format version {manifest.Version}); " +
                $"this version feeds only '{Optimizer.LearningRateName}' and computes the rest in the graph: rebuild the artifacts");
        // The update rule is part of the graph; an optimizer of another kind would only mislabel the run.
        if (manifest.Optimizer.TryGetValue("name", out var built) && built.GetString() is { } builtName && builtName != optimizer.Name)
            throw new InvalidDataException($"these artifacts were built for optimizer '{builtName}', not '{optimizer.Name}'; rebuild the artifacts with {optimizer.Name}");
        _manifest = manifest;
        (trainStep, eval, _trainMetrics, _evalMetrics) = Graphs(trainStep, eval, manifest, options, metrics ?? []);
        using (var so = options.ToSessionOptions()) _train = new InferenceSession(trainStep, so);
        using (var so = (options with { OptimizedModelPath = null, ProfilePrefix = null }).ToSessionOptions()) _eval = new InferenceSession(eval, so);
        _batchInputs = manifest.BatchInputs.Select(b => new BatchTensor(b.Name, ParseType(b.Type), PerSample(b))).ToArray();
        _targetType = _batchInputs.Length > 1 ? _batchInputs[1].Type : ElementType.Float32;
        _outputs = (manifest.Outputs ?? [manifest.Output]).Select(OutputTensor).ToArray();
        _memory = StateMemory.For(options, _train);
        for (int k = 0; k < 2; k++)
            _state[k] = manifest.State.Select(Allocate).ToArray();
        _stepCounterIndex = Array.FindIndex(manifest.State, s => s.Name == Optimizer.StepCounterName);
        LoadState(initial);
        _learningRateTensor = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_learningRate), []);
        _hostInputs = optimizer.HostInputs.Select(HostInput).ToArray();
    }

    /// <summary>
    /// The train-step and eval graphs as a session with these options hands them to ONNX Runtime: with the metrics' sums
    /// appended where the outputs live on a device (<see cref="MetricOutputs"/>), then the provider's rewrites.
    /// </summary>
    internal static (byte[] TrainStep, byte[] Eval, MetricOutputs.Slice[] TrainMetrics, MetricOutputs.Slice[] EvalMetrics) Graphs(
        byte[] trainStep, byte[] eval, Manifest manifest, TrainingSessionOptions options, IReadOnlyList<Metric> metrics)
    {
        MetricOutputs.Slice[] trainMetrics = [], evalMetrics = [];
        if (options.StateOnDevice)
        {
            (trainStep, trainMetrics) = MetricOutputs.Append(trainStep, manifest.Output, [.. metrics.Where(m => !m.EvaluationOnly)]);
            (eval, evalMetrics) = MetricOutputs.Append(eval, manifest.Output, metrics);
        }
        (trainStep, eval) = ProviderLowering.Apply(trainStep, eval, options);
        return (trainStep, eval, trainMetrics, evalMetrics);
    }

    // Float state lives where the provider computes (device memory on CUDA); the int64 step counter stays on the host,
    // where ORT reads and writes it around the few scalar nodes that use it.
    private OrtValue Allocate(StateSpec s) => StateElementType(s) == TensorElementType.Float
        ? _memory.Allocate(s.Shape)
        : OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, StateElementType(s), s.Shape);

    // A host step input is sized from the train step's input of that name (which must have a static shape).
    private (HostStepInput, float[], OrtValue) HostInput(HostStepInput input)
    {
        if (!_train.InputMetadata.TryGetValue(input.Name, out var meta))
            throw new InvalidDataException($"the optimizer writes the step input '{input.Name}' but these artifacts have no such input; rebuild them with this optimizer");
        if (meta.Dimensions.Any(d => d < 0))
            throw new InvalidDataException($"step input '{input.Name}' has a dynamic shape [{string.Join(", ", meta.Dimensions)}]; host step inputs need a static one");
        long[] shape = meta.Dimensions.Select(d => (long)d).ToArray();
        var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
        return (input, values, OrtValue.CreateTensorValueFromMemory(values, shape));
    }

    private static TensorElementType StateElementType(StateSpec s) => s.Type switch
    {
        "float" => TensorElementType.Float, "int64" => TensorElementType.Int64,
        _ => throw new InvalidDataException($"state '{s.Name}' has element type '{s.Type}'; the session keeps float and int64 state"),
    };

    private BatchTensor OutputTensor(string name)
    {
        var meta = _train.OutputMetadata[name];
        if (meta.ElementDataType != TensorElementType.Float)
            throw new InvalidDataException($"model output '{name}' is {meta.ElementDataType}; the session reads float outputs");
        if (meta.Dimensions.Skip(1).Any(d => d < 0))
            throw new InvalidDataException($"model output '{name}' has shape [{string.Join(", ", meta.Dimensions)}]; only the first (batch) dimension may vary");
        return new BatchTensor(name, ElementType.Float32, meta.Dimensions.Skip(1).Select(d => (long)d).ToArray());
    }

    private static long[] PerSample(TensorSpec spec) =>
        spec.Shape.Skip(1).Select(e => e.ValueKind == System.Text.Json.JsonValueKind.Number ? e.GetInt64()
            : throw new InvalidDataException($"batch input '{spec.Name}' has a symbolic non-batch dimension '{e}'; only the first dimension may vary")).ToArray();

    private static ElementType ParseType(string name) => name switch
    {
        "float" => ElementType.Float32, "int64" => ElementType.Int64, "double" => ElementType.Float64, "int32" => ElementType.Int32,
        _ => throw new NotSupportedException($"batch input type '{name}' is not supported"),
    };

    /// <summary>Elements per sample of the features (the first batch input).</summary>
    public int FeatureSize => _batchInputs[0].SampleSize;
    /// <summary>Elements per sample of the target (the second batch input).</summary>
    public int TargetSize => _batchInputs.Length > 1 ? _batchInputs[1].SampleSize : 0;
    /// <summary>Elements per sample of the (first) model output.</summary>
    public int OutputSize => _outputs[0].SampleSize;
    /// <summary>The batch inputs in the order of <see cref="BatchBuffers"/>: the model's inputs, then the targets.</summary>
    public IReadOnlyList<BatchTensor> BatchInputs => _batchInputs;
    /// <summary>The model outputs in the order of <see cref="LastOutputOf"/>.</summary>
    public IReadOnlyList<BatchTensor> Outputs => _outputs;
    /// <summary>Element type of the target (int64 class indices or float).</summary>
    public ElementType TargetType => _targetType;

    /// <summary>
    /// One optimisation step on a batch of <paramref name="count"/> samples with learning rate <paramref name="lr"/>.
    /// <paramref name="targets"/> is a <c>long[]</c> or <c>float[]</c> as the loss expects. Returns the loss;
    /// the model's output for the batch is then in <see cref="LastOutput"/>.
    /// </summary>
    public float Step(ReadOnlySpan<float> features, Array targets, int count, double lr)
    {
        Bindings(count).Write(features, targets, count, FeatureSize, TargetSize, _targetType);
        return Step(count, lr);
    }

    /// <summary>
    /// The arrays that steps and evaluations of <paramref name="count"/> samples read: features [count × FeatureSize]
    /// and targets (<c>long[count × TargetSize]</c> or <c>float[…]</c>). Filling them and calling
    /// <see cref="Step(int, double)"/> saves the copy that <see cref="Step(ReadOnlySpan{float}, Array, int, double)"/>
    /// makes. They stay valid until a batch of another size evicts them (at most two sizes are kept).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model does not take one float input and one target (use <see cref="BatchBuffers"/>).</exception>
    public (float[] Features, Array Targets) InputBuffers(int count)
    {
        if (_batchInputs.Length != 2 || _batchInputs[0].Type != ElementType.Float32)
            throw new InvalidOperationException($"this model takes the batch inputs [{string.Join(", ", _batchInputs.Select(b => b.Describe()))}]; fill BatchBuffers instead");
        var b = Bindings(count);
        return ((float[])b.Inputs[0], b.Inputs[1]);
    }

    /// <summary>
    /// The arrays that steps and evaluations of <paramref name="count"/> samples read, one per batch input in the order of
    /// <see cref="BatchInputs"/> (<c>float[]</c>, <c>long[]</c>, <c>int[]</c> or <c>double[]</c> of count × sample size each):
    /// fill them and call <see cref="Step(int, double)"/> or <see cref="Evaluate(int)"/>. They stay valid until a batch of another size evicts them.
    /// </summary>
    public IReadOnlyList<Array> BatchBuffers(int count) => Bindings(count).Inputs;

    /// <summary>One optimisation step on what <see cref="InputBuffers"/>(<paramref name="count"/>) holds; returns the loss.</summary>
    public float Step(int count, double lr)
    {
        if (count < _manifest.MinTrainingBatch)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"this model trains on batches of at least {_manifest.MinTrainingBatch} samples " +
                "(a BatchNorm layer gets one value per channel per sample; with one sample its running variance would become NaN)");
        var b = Bindings(count);
        StepCount++;
        _learningRate[0] = (float)lr;
        foreach (var (input, hostValues, _) in _hostInputs) input.Fill(StepCount, hostValues);
        b.Stage();
        _train.RunWithBinding(_run, b.Train[_current]);
        _memory.Traffic.Add(b.TrainCrossing);
        _current = 1 - _current;
        _lastOutput = b;
        _lastMetrics = (b.TrainSums, _trainMetrics);
        return b.Loss.GetTensorDataAsSpan<float>()[0];
    }

    private BatchBindings? _lastOutput;
    private (float[]? Sums, MetricOutputs.Slice[] Slices) _lastMetrics = (null, []);

    /// <summary>
    /// Adds the batch of the last step or evaluation (<paramref name="count"/> samples, <paramref name="targets"/> as given
    /// to it) to <paramref name="metrics"/>: from the sums the graph computed for those given at construction when the
    /// outputs live on a device (only these few numbers crossed), else from <see cref="LastOutput"/>.
    /// </summary>
    public void UpdateMetrics(IReadOnlyList<Metric> metrics, Array targets, int count)
    {
        if (_lastOutput is null) throw new InvalidOperationException("no step or evaluation has run yet: there is no batch to add to the metrics");
        var (sums, slices) = _lastMetrics;
        // Per step: indexed loops, no closures or enumerators (the CPU step allocates nothing else).
        for (int k = 0; k < metrics.Count; k++)
        {
            var m = metrics[k];
            int i = slices.Length - 1;
            while (i >= 0 && !ReferenceEquals(slices[i].Metric, m)) i--;
            if (i >= 0) m.AddBatchSums(sums.AsSpan(slices[i].Offset, slices[i].Length), count, OutputSize);
            else m.Update(LastOutput, targets, count, OutputSize);
        }
    }

    /// <summary>Bytes that crossed between host and device memory so far (zero while everything is host memory).</summary>
    internal Memory.HostTraffic Traffic => _memory.Traffic;

    /// <summary>
    /// The model output of the last <see cref="Step(ReadOnlySpan{float}, Array, int, double)"/> or <see cref="Evaluate(ReadOnlySpan{float}, Array, int)"/> ([count, …] flattened).
    /// On a device it is copied to the host when first read after a step.
    /// </summary>
    public ReadOnlySpan<float> LastOutput => LastOutputOf(0);

    /// <summary>Output <paramref name="index"/> (in the order of <see cref="Outputs"/>) of the last step or evaluation ([count, …] flattened).</summary>
    public ReadOnlySpan<float> LastOutputOf(int index) => _lastOutput is null ? [] : _lastOutput.HostOutput(_memory, index);

    /// <summary>Loss and outputs on a batch without updating anything (inference behaviour: Dropout off, running statistics).</summary>
    public float Evaluate(ReadOnlySpan<float> features, Array targets, int count)
    {
        Bindings(count).Write(features, targets, count, FeatureSize, TargetSize, _targetType);
        return Evaluate(count);
    }

    /// <summary>Loss and outputs on what <see cref="BatchBuffers"/>(<paramref name="count"/>) holds, without updating anything (inference behaviour).</summary>
    public float Evaluate(int count)
    {
        var b = Bindings(count);
        b.Stage();
        _eval.RunWithBinding(_run, b.Eval[_current]);
        _memory.Traffic.Add(b.EvalCrossing);
        _lastOutput = b;
        _lastMetrics = (b.EvalSums, _evalMetrics);
        return b.Loss.GetTensorDataAsSpan<float>()[0];
    }

    private BatchBindings Bindings(int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "a batch needs at least one sample");
        if (_bindings.TryGetValue(count, out var b)) return b;
        // Keep at most the full-size bindings and one partial size (the last batch of an epoch).
        if (_bindings.Count >= 2)
        {
            var evict = _bindings.Keys.Min();
            _bindings[evict].Dispose();
            _bindings.Remove(evict);
        }
        b = new BatchBindings(this, count);
        _bindings[count] = b;
        return b;
    }

    /// <summary>Copies the current state to the host, by name.</summary>
    public Dictionary<string, NamedTensor> State()
    {
        var r = new Dictionary<string, NamedTensor>();
        for (int i = 0; i < _manifest.State.Length; i++)
        {
            var s = _manifest.State[i];
            var v = _state[_current][i];
            if (StateElementType(s) == TensorElementType.Float)
            {
                var host = new float[s.Shape.Aggregate(1L, (a, d) => a * d)];
                _memory.Download(v, host);
                r[s.Name] = NamedTensor.FromFloats(s.Name, host, s.Shape);
            }
            else r[s.Name] = new NamedTensor(s.Name, ElementTypeOf(s), s.Shape, v.GetTensorMutableRawData().ToArray());
        }
        return r;
    }

    private static ElementType ElementTypeOf(StateSpec s) => s.Type == "int64" ? ElementType.Int64 : ElementType.Float32;

    /// <summary>
    /// Replaces the current state (e.g. from a checkpoint); every state entry must be present with its shape and type.
    /// <see cref="StepCount"/> follows the step counter in it.
    /// </summary>
    public void LoadState(IReadOnlyDictionary<string, NamedTensor> state)
    {
        for (int i = 0; i < _manifest.State.Length; i++)
        {
            var s = _manifest.State[i];
            if (!state.TryGetValue(s.Name, out var t)) throw new InvalidDataException($"the checkpoint has no tensor '{s.Name}' ({s.Kind}); it does not belong to these artifacts");
            if (!t.Shape.SequenceEqual(s.Shape)) throw new InvalidDataException($"checkpoint tensor '{s.Name}' has shape [{string.Join(", ", t.Shape)}], the model expects [{string.Join(", ", s.Shape)}]");
            if (t.Type != ElementTypeOf(s)) throw new InvalidDataException($"checkpoint tensor '{s.Name}' is {t.Type.OnnxName()}, the model expects {s.Type}");
            if (StateElementType(s) == TensorElementType.Float) _memory.Upload(t.ToFloats(), _state[_current][i]);
            else t.Bytes.CopyTo(_state[_current][i].GetTensorMutableRawData());
        }
        if (_stepCounterIndex >= 0) StepCount = _state[_current][_stepCounterIndex].GetTensorDataAsSpan<long>()[0];
    }

    /// <summary>Sets the number of steps taken (with a checkpoint), in the graph's step counter too.</summary>
    public void SetStepCount(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        StepCount = step;
        if (_stepCounterIndex >= 0) _state[_current][_stepCounterIndex].GetTensorMutableDataAsSpan<long>()[0] = step;
    }

    // The seam of the split step (Distributed/DataParallelStep), which runs other graphs on the same two state sets.
    internal OrtValue[] StateSet(int parity) => _state[parity];
    internal int CurrentSet => _current;
    internal bool StateOnHost => _memory.InPlace;
    internal void Advance() { _current = 1 - _current; StepCount++; }

    /// <summary>Writes the state as a safetensors checkpoint (atomically) with metadata.</summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["step"] = StepCount.ToString() };
        var st = State();
        SafeTensors.Write(path, _manifest.State.Select(s => st[s.Name]), meta);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var b in _bindings.Values) b.Dispose();
        foreach (var set in _state) foreach (var v in set) v.Dispose();
        _learningRateTensor.Dispose();
        foreach (var h in _hostInputs) h.Tensor.Dispose();
        _memory.Dispose();
        _train.Dispose(); _eval.Dispose(); _run.Dispose();
    }

    /// <summary>Buffers and bindings for one batch size: batch inputs, outputs, and a binding per state parity.</summary>
    private sealed class BatchBindings : IDisposable
    {
        public readonly Array[] Inputs;
        private readonly OrtValue[] _inputValues;
        public readonly OrtValue Loss;
        private readonly OrtValue[] _outputs;
        private readonly float[][]? _hostOutputs;   // the outputs' host copies when they live on a device
        private readonly bool[] _hostOutputCurrent;
        public readonly float[]? TrainSums, EvalSums;   // the metrics' batch sums (bound where the outputs live on a device)
        private readonly OrtValue? _trainSumsValue, _evalSumsValue;
        /// <summary>Bytes a run of each graph moves between host and device: its inputs and outputs bound in host memory.</summary>
        public readonly HostTraffic.Crossing TrainCrossing, EvalCrossing;
        private readonly StateMemory _memory;
        public readonly OrtIoBinding[] Train = new OrtIoBinding[2];
        public readonly OrtIoBinding[] Eval = new OrtIoBinding[2];

        public BatchBindings(TrainingSession s, int count)
        {
            _memory = s._memory;
            Inputs = s._batchInputs.Select(b => BatchArrays.Create(b.Type, count * b.SampleSize)).ToArray();
            _inputValues = new OrtValue[Inputs.Length];
            for (int i = 0; i < Inputs.Length; i++)
            {
                long[] shape = [count, .. s._batchInputs[i].SampleShape];
                // In host memory the bindings read the arrays the caller fills: no copy at all. On a device the batch is
                // staged through pinned host memory, from which ORT copies it over.
                _inputValues[i] = s._memory.InPlace ? BatchArrays.Wrap(Inputs[i], shape)
                    : s._memory.AllocateStaging(BatchArrays.OrtType(s._batchInputs[i].Type), shape);
            }
            if (!s._memory.InPlace) _hostOutputs = s._outputs.Select(o => new float[count * o.SampleSize]).ToArray();
            _hostOutputCurrent = new bool[s._outputs.Length];
            // The loss scalar is bound in host memory: ORT copies the one value back.
            Loss = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, []);
            _outputs = s._outputs.Select(o => s._memory.Allocate([count, .. o.SampleShape])).ToArray();
            (TrainSums, _trainSumsValue) = SumsBuffer(s._trainMetrics);
            (EvalSums, _evalSumsValue) = SumsBuffer(s._evalMetrics);
            var m = s._manifest;
            var evalInputs = s._eval.InputNames.ToHashSet();
            var batchIn = s._batchInputs.Select((b, i) => (b.Name, _inputValues[i])).ToList();
            var outputs = s._outputs.Select((o, i) => (o.Name, _outputs[i])).ToList();
            for (int k = 0; k < 2; k++)
            {
                var trainIn = new List<(string, OrtValue)>(batchIn) { (Optimizer.LearningRateName, s._learningRateTensor) };
                trainIn.AddRange(s._hostInputs.Select(h => (h.Input.Name, h.Tensor)));
                trainIn.AddRange(m.State.Select((st, i) => (st.Name, s._state[k][i])));
                var trainOut = new List<(string, OrtValue)> { (m.Loss, Loss) };
                trainOut.AddRange(outputs);
                trainOut.AddRange(m.State.Select((st, i) => (st.Next, s._state[1 - k][i])));
                if (_trainSumsValue is not null) trainOut.Add((MetricOutputs.Name, _trainSumsValue));
                Train[k] = Bind(s._train, trainIn, trainOut);

                var evalIn = new List<(string, OrtValue)>(batchIn);
                evalIn.AddRange(m.State.Select((st, i) => (st.Name, s._state[k][i])).Where(x => evalInputs.Contains(x.Name)));
                var evalOut = new List<(string, OrtValue)> { (m.Loss, Loss) };
                evalOut.AddRange(outputs);
                if (_evalSumsValue is not null) evalOut.Add((MetricOutputs.Name, _evalSumsValue));
                Eval[k] = Bind(s._eval, evalIn, evalOut);

                // Counted from what is bound (both parities bind the same kinds of memory): whatever is not in device
                // memory crosses the bus every run.
                if (k > 0) continue;
                TrainCrossing = HostTraffic.Of(s._memory, trainIn.Select(x => x.Item2), trainOut.Select(x => x.Item2));
                EvalCrossing = HostTraffic.Of(s._memory, evalIn.Select(x => x.Item2), evalOut.Select(x => x.Item2));
            }
        }

        private static OrtIoBinding Bind(InferenceSession session, List<(string Name, OrtValue Value)> inputs, List<(string Name, OrtValue Value)> outputs)
        {
            var b = session.CreateIoBinding();
            foreach (var (name, value) in inputs) b.BindInput(name, value);
            foreach (var (name, value) in outputs) b.BindOutput(name, value);
            return b;
        }

        private static (float[]?, OrtValue?) SumsBuffer(MetricOutputs.Slice[] slices)
        {
            if (slices.Length == 0) return (null, null);
            var sums = new float[slices.Sum(x => x.Length)];
            return (sums, OrtValue.CreateTensorValueFromMemory(sums, [sums.Length]));
        }

        public void Write(ReadOnlySpan<float> features, Array targets, int count, int featureSize, int targetSize, ElementType targetType)
        {
            if (Inputs.Length != 2 || Inputs[0] is not float[] featureBuffer)
                throw new InvalidOperationException($"this model takes {Inputs.Length} batch inputs; fill BatchBuffers instead of passing features and targets");
            if (features.Length < count * featureSize)
                throw new ArgumentException($"features hold {features.Length} values; {count} samples of {featureSize} need {count * featureSize}");
            features[..(count * featureSize)].CopyTo(featureBuffer);
            switch (targets)
            {
                case long[] l when targetType == ElementType.Int64 && l.Length >= count * targetSize: Array.Copy(l, Inputs[1], count * targetSize); break;
                case float[] f when targetType == ElementType.Float32 && f.Length >= count * targetSize: Array.Copy(f, Inputs[1], count * targetSize); break;
                default: throw new ArgumentException($"targets must be {(targetType == ElementType.Int64 ? "long[]" : "float[]")} with at least {count * targetSize} values, got {targets.GetType().Name} of {targets.Length}");
            }
        }

        /// <summary>Before a run: the batch arrays into the staging buffers (device memory only), and the outputs' host copies marked stale.</summary>
        public void Stage()
        {
            Array.Clear(_hostOutputCurrent);
            if (_hostOutputs is null) return;
            for (int i = 0; i < Inputs.Length; i++) BatchArrays.CopyTo(Inputs[i], _inputValues[i]);
        }

        /// <summary>Output <paramref name="index"/> on the host: the tensor itself in host memory, else a copy made once per run.</summary>
        public ReadOnlySpan<float> HostOutput(StateMemory memory, int index)
        {
            if (_hostOutputs is null) return _outputs[index].GetTensorDataAsSpan<float>();
            if (!_hostOutputCurrent[index]) { memory.Download(_outputs[index], _hostOutputs[index]); _hostOutputCurrent[index] = true; }
            return _hostOutputs[index];
        }

        public void Dispose()
        {
            foreach (var b in Train) b.Dispose();
            foreach (var b in Eval) b.Dispose();
            foreach (var v in _inputValues) v.Dispose();
            foreach (var v in _outputs) _memory.Free(v);
            Loss.Dispose(); _trainSumsValue?.Dispose(); _evalSumsValue?.Dispose();
        }
    }
}

/// <summary>A batch input or model output of a <see cref="TrainingSession"/>: its name, element type and per-sample shape.</summary>
/// <param name="Name">The graph value's name.</param>
/// <param name="Type">Element type.</param>
/// <param name="SampleShape">Shape of one sample (the batch dimension excluded).</param>
public sealed record BatchTensor(string Name, ElementType Type, long[] SampleShape)
{
    /// <summary>Elements per sample.</summary>
    public int SampleSize => (int)SampleShape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Name, type and sample shape as text, for messages.</summary>
    public string Describe() => $"{Name}: {Type.OnnxName()} [{string.Join(", ", SampleShape)}]";
}
