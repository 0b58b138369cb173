using System.Text;
using OnnxKit.Interop.Transfer;
using OnnxKit.IR;
using OnnxKit.Training.Autodiff;

namespace OnnxKit.Interop.Import;

/// <summary>One node that stops training: it lies between trainable values and the outputs and has no gradient rule.</summary>
/// <param name="Node">The node's name (or its first output where it has none).</param>
/// <param name="OpType">Its operator (<c>domain.Op</c> outside the standard domain).</param>
/// <param name="Reason">Why it cannot be differentiated.</param>
public sealed record TrainingBlocker(string Node, string OpType, string Reason);

/// <summary>
/// Which parts of a model can be trained by OnnxKit's autodiff: the float initializers (candidate parameters), the
/// nodes on a path from them to an output, and among those the ones without a rule in <see cref="GradientRegistry"/>,
/// each named with the reason. A model is trainable as a whole when that last list is empty.
/// </summary>
public sealed class TrainabilityReport
{
    /// <summary>Float initializers: the values that can be trained.</summary>
    public IReadOnlyList<string> TrainableInitializers { get; init; } = [];
    /// <summary>Initializers of other types (integer, bool, string): constants, never trained.</summary>
    public IReadOnlyList<string> ConstantInitializers { get; init; } = [];
    /// <summary>
    /// Trainable initializers no output is computed from through differentiable operators (a threshold feeding only a
    /// comparison, as tf2onnx stores constants): they have no gradient, so the trainer keeps them fixed.
    /// </summary>
    public IReadOnlyList<string> Unreached { get; init; } = [];
    /// <summary>Number of nodes on a path from a trainable value to an output.</summary>
    public int NodesOnTrainingPath { get; init; }
    /// <summary>Nodes on that path with no gradient rule.</summary>
    public IReadOnlyList<TrainingBlocker> Blockers { get; init; } = [];
    /// <summary>True when every node between the trainable values and the outputs has a gradient rule.</summary>
    public bool IsTrainable => Blockers.Count == 0;

    /// <summary>
    /// Analyses <paramref name="model"/>. <paramref name="trainable"/> restricts the trained values (default: every float
    /// initializer), as when the layers before them are frozen.
    /// </summary>
    public static TrainabilityReport Analyze(OnnxModel model, IEnumerable<string>? trainable = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = model.Graph;
        var floatInits = g.Initializers.Where(i => i.ElementType.IsFloat()).Select(i => i.Name).ToList();
        var targets = trainable?.ToHashSet() ?? floatInits.ToHashSet();
        foreach (var t in targets)
            if (g.FindInitializer(t) is null && !g.Inputs.Any(i => i.Name == t))
                throw new OnnxModelException($"graph '{g.Name}' has no initializer or input named '{t}' to train");

        // A control-flow node's subgraphs read values of the graph by name: those count as its inputs.
        var implicitInputs = g.Nodes.Where(ControlFlow.HasSubgraph).ToDictionary(n => n, ControlFlowChecks.OuterReferences);
        IEnumerable<string> InputsOf(Node n) => implicitInputs.TryGetValue(n, out var refs) ? n.Inputs.Concat(refs) : n.Inputs;
        // Forward: values computed differentiably from a target (the rule Gradients.Build applies).
        var dependent = new HashSet<string>(targets);
        foreach (var n in g.Nodes)
        {
            if (GradientRegistry.NonDifferentiable.Contains(n.OpType) || !InputsOf(n).Any(dependent.Contains)) continue;
            for (int k = 0; k < n.Outputs.Count; k++)
                if (n.Outputs[k].Length > 0 && !GradientRegistry.IsIndexOutput(n.OpType, k)) dependent.Add(n.Outputs[k]);
        }
        // Backward: of those, the ones an output is computed from.
        var reaches = new HashSet<string>(g.Outputs.Select(o => o.Name).Where(dependent.Contains));
        var onPath = new List<Node>();
        for (int k = g.Nodes.Count - 1; k >= 0; k--)
        {
            var n = g.Nodes[k];
            if (!n.Outputs.Any(reaches.Contains)) continue;
            onPath.Add(n);
            foreach (var i in InputsOf(n)) if (dependent.Contains(i)) reaches.Add(i);
        }
        onPath.Reverse();
        var blockers = new List<TrainingBlocker>();
        var unexpandable = onPath.Any(ControlFlow.HasSubgraph) ? ControlFlowChecks.Unexpandable(model).ToDictionary(t => t.Node, t => t.Reason) : [];
        foreach (var n in onPath)
        {
            bool standard = n.Domain is "" or "ai.onnx";
            string op = standard ? n.OpType : $"{n.Domain}.{n.OpType}";
            string Name() => n.Name.Length > 0 ? n.Name : n.Outputs.FirstOrDefault() ?? n.OpType;
            if (ControlFlow.HasSubgraph(n))
            {
                // Replayed as plain operators (If: both branches and Where; Loop and Scan: unrolled), which need rules of their own.
                var missing = ControlFlowChecks.OpsWithoutRule(n, o => GradientRegistry.Find(o) is not null || GradientRegistry.NonDifferentiable.Contains(o)).Distinct().ToList();
                if (unexpandable.TryGetValue(n, out var why)) blockers.Add(new TrainingBlocker(Name(), op, why));
                else if (missing.Count > 0)
                    blockers.Add(new TrainingBlocker(Name(), op, $"its subgraph uses operators without a gradient rule: {string.Join(", ", missing.Select(m => $"'{m}'"))}"));
                continue;
            }
            if (GradientRegistry.Find(op) is not null) continue;
            string reason = standard
                ? $"no gradient rule for '{n.OpType}' in the gradient registry; it lies between trained values ({Upstream(n, dependent, targets)}) and the outputs"
                : $"operator of domain '{n.Domain}' (not standard ONNX) without a registered gradient rule (GradientRegistry.Register(\"{op}\", …))";
            blockers.Add(new TrainingBlocker(n.Name.Length > 0 ? n.Name : n.Outputs.FirstOrDefault() ?? n.OpType, op, reason));
        }
        return new TrainabilityReport
        {
            TrainableInitializers = floatInits.Where(targets.Contains).ToList(),
            ConstantInitializers = g.Initializers.Where(i => !i.ElementType.IsFloat()).Select(i => i.Name).ToList(),
            NodesOnTrainingPath = onPath.Count,
            Unreached = floatInits.Where(t => targets.Contains(t) && !reaches.Contains(t)).ToList(),
            Blockers = blockers,
        };
    }

    private static string Upstream(Node n, HashSet<string> dependent, HashSet<string> targets)
    {
        var direct = n.Inputs.Where(targets.Contains).ToList();
        return direct.Count > 0 ? string.Join(", ", direct.Select(d => $"'{d}'")) : $"through input {string.Join(", ", n.Inputs.Where(dependent.Contains).Select(d => $"'{d}'"))}";
    }

    /// <summary>A short text: trainable or not, and each blocking node with its reason.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        sb.AppendLine(TrainableInitializers.Count == 0
            ? "trainable: nothing to train (no float initializers)"
            : IsTrainable
            ? $"trainable: yes ({TrainableInitializers.Count} float initializers, {NodesOnTrainingPath} nodes on the training path)"
            : $"trainable: no — {Blockers.Count} node(s) on the training path have no gradient rule");
        foreach (var b in Blockers) sb.AppendLine($"  {b.OpType} node '{b.Node}': {b.Reason}");
        return sb.ToString();
    }
}
