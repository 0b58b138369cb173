using Microsoft.ML.OnnxRuntime;
using OnnxKit.Training.Session.Lowering.HostUpdate;
using TrainingSession = OnnxKit.Training.Session.TrainingSession;

namespace OnnxKit.Training.Distributed;

/// <summary>
/// The optimizer update of a split step run on the host (<see cref="FusedUpdate"/>) over the session's state sets and the
/// gradient bucket: the step scalars once, then the element program over every parameter, the elements shared out in
/// equal contiguous ranges over the threads. Reads state set <c>parity</c>, writes set <c>1 − parity</c>, as the
/// optimizer graph does; the state lives in host memory (CPU sessions only), which does not move.
/// </summary>
internal sealed class HostOptimizer
{
    private readonly FusedUpdate _update;
    private readonly TrainingSession _session;
    private readonly (int State, int[] Slots, int GradOffset, int Length)[] _parameters;
    private readonly int[] _stateIndices;            // the optimizer-wide state, in FusedUpdate.StateNames order
    private readonly (double D, long L)[] _slots, _state, _nextState;
    private readonly float[] _elementScalars;
    private readonly float[][] _scratch;
    private readonly long _total;

    /// <param name="update">The host form of the optimizer's update.</param>
    /// <param name="session">The session whose state sets are updated (state on the host).</param>
    /// <param name="gradients">Each parameter's gradient offset in the bucket, by parameter name.</param>
    /// <param name="threads">Threads the element ranges are shared over.</param>
    public HostOptimizer(FusedUpdate update, TrainingSession session, IReadOnlyDictionary<string, int> gradients, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _update = update; _session = session;
        var manifest = session.Manifest;
        var index = manifest.State.Select((s, i) => (s.Name, i)).ToDictionary(t => t.Name, t => t.i);
        _parameters = manifest.State.Select((s, i) => (s, i)).Where(t => t.s.Kind == "parameter")
            .Select(t => (t.i, update.Optimizer.Slots.Select(slot => index[$"{t.s.Name}.{slot.Name}"]).ToArray(), gradients[t.s.Name],
                (int)t.s.Shape.Aggregate(1L, (a, d) => a * d)))
            .ToArray();
        _total = _parameters.Sum(p => (long)p.Length);
        _stateIndices = update.StateNames.Select(n => index[n]).ToArray();
        _slots = update.Scalars.NewSlots();
        _state = new (double, long)[_stateIndices.Length];
        _nextState = new (double, long)[_stateIndices.Length];
        _elementScalars = new float[update.ElementScalarSlots.Length];
        Threads = (int)Math.Max(1, Math.Min(threads, _total / ElementProgram.ChunkLength));
        _scratch = Enumerable.Range(0, Threads).Select(_ => update.Elements.NewScratch()).ToArray();
    }

    /// <summary>Threads the update runs on.</summary>
    public int Threads { get; }

    /// <summary>
    /// Updates state set 1 − <paramref name="parity"/> from set <paramref name="parity"/> and the gradients in
    /// <paramref name="bucket"/>, with learning rate <paramref name="lr"/>; each thread first calls
    /// <paramref name="prepareGradients"/> (offset, length) on the gradient ranges it then reads.
    /// </summary>
    public void Run(int parity, float lr, float[] bucket, Action<int, int>? prepareGradients = null)
    {
        var current = _session.StateSet(parity);
        var next = _session.StateSet(1 - parity);
        // The step scalars, and the optimizer-wide state's next values.
        for (int k = 0; k < _stateIndices.Length; k++)
            _state[k] = IsInt64(k) ? (0, current[_stateIndices[k]].GetTensorDataAsSpan<long>()[0]) : (current[_stateIndices[k]].GetTensorDataAsSpan<float>()[0], 0);
        _update.EvaluateStep(_slots, lr, _state, _elementScalars, _nextState);
        for (int k = 0; k < _stateIndices.Length; k++)
            if (IsInt64(k)) next[_stateIndices[k]].GetTensorMutableDataAsSpan<long>()[0] = _nextState[k].L;
            else next[_stateIndices[k]].GetTensorMutableDataAsSpan<float>()[0] = (float)_nextState[k].D;
        SideBySide.Run(Threads, t => RunRange(t, current, next, bucket, prepareGradients));
    }

    private bool IsInt64(int k) => _update.Scalars.TypeOf(_update.StateInputSlots[k]) == IR.ElementType.Int64;

    // Thread t's share: elements [total·t/T, total·(t+1)/T) of the parameters laid end to end.
    private unsafe void RunRange(int t, OrtValue[] current, OrtValue[] next, float[] bucket, Action<int, int>? prepareGradients)
    {
        long from = _total * t / Threads, to = _total * (t + 1) / Threads, at = 0;
        int slotCount = _update.Optimizer.Slots.Count;
        Span<IntPtr> inputs = stackalloc IntPtr[2 + slotCount];
        Span<IntPtr> outputs = stackalloc IntPtr[1 + slotCount];
        fixed (float* grads = bucket)
            foreach (var (state, slots, gradOffset, length) in _parameters)
            {
                long start = Math.Max(from, at) - at, end = Math.Min(to, at + length) - at;
                at += length;
                if (start >= end) continue;
                prepareGradients?.Invoke(gradOffset + (int)start, (int)(end - start));
                inputs[0] = Address(current[state]); inputs[1] = (IntPtr)(grads + gradOffset);
                outputs[0] = Address(next[state]);
                for (int k = 0; k < slotCount; k++) { inputs[2 + k] = Address(current[slots[k]]); outputs[1 + k] = Address(next[slots[k]]); }
                _update.Elements.Run(_elementScalars, inputs, outputs, start, (int)(end - start), _scratch[t]);
            }
    }

    private static unsafe IntPtr Address(OrtValue tensor)
    {
        fixed (byte* p = tensor.GetTensorMutableRawData()) return (IntPtr)p;
    }
}
