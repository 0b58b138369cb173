using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using OnnxKit.Training.Session.Lowering;
using TrainingSession = OnnxKit.Training.Session.TrainingSession;

namespace OnnxKit.Training.Distributed;

/// <summary>
/// The optimizer update of a split step shared out over threads by element ranges: each lane runs, on one ORT thread,
/// an optimizer graph over its ranges of the flattened parameters, slots and summed gradients, bound as views into the
/// session's state sets and the gradient bucket. Each element's update reads only that element (and the step scalars),
/// so the result is the whole update's; lane 0 alone writes the optimizer-wide state (step counter, shared slots).
/// A large tensor is cut into one range per lane, the small ones go whole to the lane with the fewest elements so far,
/// which keeps a lane's node count (and ORT's cost per node) near the whole graph's.
/// </summary>
internal sealed class ParameterShardedOptimizer : IDisposable
{
    // Below this many elements a tensor's update costs less than the extra nodes of cutting it.
    internal const int MinElementsToSplit = 16384;

    private readonly InferenceSession[] _sessions;
    private readonly List<(string Name, int State, int Start, int Length, int GradOffset)>[] _parts;
    private readonly TrainingSession _session;
    private readonly Manifest _manifest;
    private readonly Optimizer _optimizer;
    private readonly OrtValue _lr;
    private readonly Dictionary<string, int> _stateIndex;
    private readonly OrtIoBinding[][] _bindings;
    private readonly List<OrtValue> _views = [];
    private readonly RunOptions[] _runs;

    /// <summary>
    /// True when <paramref name="optimizer"/>'s update can be cut by elements: an element-wise update, no gradient-norm
    /// clipping (a norm over all gradients), no per-step host inputs.
    /// </summary>
    public static bool Applies(Optimizer optimizer) =>
        optimizer.UpdatesElementwise && optimizer.ClipGradNorm is null && optimizer.HostInputs.Count == 0;

    /// <param name="session">The session whose state sets are updated.</param>
    /// <param name="optimizer">The optimizer (see <see cref="Applies"/>).</param>
    /// <param name="gradients">Each parameter's gradient in the bucket: (parameter name, offset).</param>
    /// <param name="lr">The learning-rate scalar every lane reads.</param>
    /// <param name="lanes">Threads to share the update over.</param>
    /// <param name="options">Session settings (each lane runs on one thread).</param>
    public ParameterShardedOptimizer(TrainingSession session, Optimizer optimizer, IReadOnlyDictionary<string, int> gradients, OrtValue lr, int lanes, TrainingSessionOptions options)
    {
        _session = session; _manifest = session.Manifest; _optimizer = optimizer; _lr = lr;
        _stateIndex = _manifest.State.Select((s, i) => (s.Name, i)).ToDictionary(t => t.Name, t => t.i);
        var parts = Enumerable.Range(0, lanes).Select(_ => new List<(string, int, int, int, int)>()).ToArray();
        var load = new long[lanes];
        var parameters = _manifest.State.Select((s, i) => (s, i)).Where(t => t.s.Kind == "parameter")
            .OrderByDescending(t => Elements(t.s.Shape)).ToList();
        foreach (var (s, i) in parameters)
        {
            int n = Elements(s.Shape), offset = gradients[s.Name];
            if (n >= MinElementsToSplit)
                for (int l = 0; l < lanes; l++)
                {
                    int start = (int)((long)n * l / lanes), end = (int)((long)n * (l + 1) / lanes);
                    parts[l].Add(($"part{i}_{l}", i, start, end - start, offset + start));
                    load[l] += end - start;
                }
            else
            {
                int l = Array.IndexOf(load, load.Min());
                parts[l].Add(($"part{i}", i, 0, n, offset));
                load[l] += n;
            }
        }
        // Lane 0 gets a part first (the largest tensor), so it is never empty and can write the optimizer-wide state.
        _parts = parts.Where(p => p.Count > 0).ToArray();
        var one = options with { IntraOpThreads = 1, OptimizedModelPath = null };
        _sessions = _parts.Select(p =>
        {
            var graph = OptimizerGraph.Build(optimizer, p.Select(x => (x.Item1, new long[] { x.Item4 })).ToList());
            OutputIdentities.Remove(graph.Graph);
            using var so = one.ToSessionOptions();
            return new InferenceSession(graph.ToBytes(), so);
        }).ToArray();
        _runs = _sessions.Select(_ => new RunOptions()).ToArray();
        _bindings = _sessions.Select(_ => new OrtIoBinding[2]).ToArray();
    }

    private static int Elements(long[] shape) => (int)shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Lanes that have a share of the update.</summary>
    public int Lanes => _sessions.Length;

    /// <summary>(Re)binds every lane to the gradient bucket <paramref name="bucket"/> (pinned) and the session's two state sets.</summary>
    public void Bind(float[] bucket)
    {
        foreach (var b in _bindings.SelectMany(x => x)) b?.Dispose();
        foreach (var v in _views) v.Dispose();
        _views.Clear();
        for (int l = 0; l < _sessions.Length; l++)
            for (int parity = 0; parity < 2; parity++)
            {
                var b = _sessions[l].CreateIoBinding();
                var current = _session.StateSet(parity);
                var next = _session.StateSet(1 - parity);
                b.BindInput(Optimizer.LearningRateName, _lr);
                foreach (var (name, state, start, length, gradOffset) in _parts[l])
                {
                    string param = _manifest.State[state].Name;
                    b.BindInput(name, StateView(current[state], start, length));
                    b.BindOutput(name + ".next", StateView(next[state], start, length));
                    b.BindInput(name + ".grad", Track(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, bucket.AsMemory(gradOffset, length), [length])));
                    foreach (var slot in _optimizer.Slots)
                    {
                        int k = _stateIndex[$"{param}.{slot.Name}"];
                        b.BindInput($"{name}.{slot.Name}", StateView(current[k], start, length));
                        b.BindOutput($"{name}.{slot.Name}.next", StateView(next[k], start, length));
                    }
                }
                // The optimizer-wide state (step counter, shared slots): every lane reads it, lane 0 writes it.
                foreach (var s in _manifest.State.Where(s => s.Kind == "optimizer" && s.Parameter is null))
                {
                    int k = _stateIndex[s.Name];
                    b.BindInput(s.Name, current[k]);
                    if (l == 0) b.BindOutput(s.Next, next[k]);
                }
                _bindings[l][parity] = b;
            }
    }

    // A flat view of elements [start, start + length) of a host state tensor (ORT-owned memory, which does not move).
    private unsafe OrtValue StateView(OrtValue tensor, int start, int length)
    {
        fixed (byte* p = tensor.GetTensorMutableRawData())
            return Track(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [length],
                (IntPtr)(p + (long)start * sizeof(float)), (long)length * sizeof(float)));
    }

    private OrtValue Track(OrtValue v) { _views.Add(v); return v; }

    /// <summary>
    /// Updates state set 1 − <paramref name="parity"/> from set <paramref name="parity"/> and the bucket's gradients, the
    /// lanes side by side; each lane first calls <paramref name="prepareGradients"/> (offset, length) on its gradient ranges.
    /// </summary>
    public void Run(int parity, Action<int, int>? prepareGradients = null)
    {
        SideBySide.Run(_sessions.Length, l =>
        {
            if (prepareGradients is not null)
                foreach (var part in _parts[l]) prepareGradients(part.GradOffset, part.Length);
            _sessions[l].RunWithBinding(_runs[l], _bindings[l][parity]);
        });
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var b in _bindings.SelectMany(x => x)) b?.Dispose();
        foreach (var v in _views) v.Dispose();
        foreach (var r in _runs) r.Dispose();
        foreach (var s in _sessions) s.Dispose();
    }
}
