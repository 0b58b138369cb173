using OnnxKit.IR;

namespace OnnxKit.Training.Privacy;

/// <summary>One use of a parameter: the tap at the node that reads it, and the map from a gradient of the value that node
/// reads (the parameter, or a transposed or sliced view of it) back to the parameter's shape.</summary>
internal sealed record ParameterUse(ParameterTap Tap, Func<Value, Value> ToParameter);

/// <summary>Finds how each parameter enters the forward graph and picks the per-example rule of that layer.</summary>
internal static class ParameterUses
{
    private const string Supported = "Dense (Gemm, MatMul), Conv1d/2d, Embedding (Gather), LayerNorm, and parameters added to, subtracted from, multiplying or dividing a batch tensor";

    /// <summary>Every use of <paramref name="parameter"/>: one, or several disjoint slices of it (a packed q/k/v projection).</summary>
    public static IReadOnlyList<ParameterUse> Find(GraphBuilder g, string parameter, IReadOnlySet<Node> forward)
    {
        var p = g[parameter];
        var consumers = g.Graph.Consumers(parameter).Where(forward.Contains).ToList();
        if (consumers.Count == 0) throw new NotSupportedException($"DP-SGD: parameter '{parameter}' is read by no node of the graph");
        if (consumers.Count > 1)
        {
            // Several reads are fine only as disjoint slices: the example's gradient is then their concatenation.
            var ranges = consumers.Select(c => c.OpType == "Slice" ? SliceRange(g, c, Shape(p)) : null).ToList();
            if (ranges.Any(r => r is null) || ranges.Select(r => r!.Value.Axis).Distinct().Count() > 1 || Overlap(ranges.Select(r => r!.Value)))
                throw new NotSupportedException($"DP-SGD: parameter '{parameter}' is read by {consumers.Count} nodes ({string.Join(", ", consumers.Select(c => c.Describe()))}); " +
                    "a shared (tied) weight has no per-example norm rule here — untie it, or freeze it");
        }
        return consumers.Select(c => Follow(g, forward, parameter, p, c, x => x)).ToList();
    }

    private static ParameterUse Follow(GraphBuilder g, IReadOnlySet<Node> forward, string parameter, Value v, Node node, Func<Value, Value> toParameter)
    {
        int at = node.Inputs.IndexOf(v.Name);
        Value Out() => g[node.Outputs[0]];
        Node Next()
        {
            var next = g.Graph.Consumers(node.Outputs[0]).Where(forward.Contains).ToList();
            return next.Count == 1 ? next[0] : throw new NotSupportedException(
                $"DP-SGD: parameter '{parameter}' reaches {next.Count} nodes through {node.Describe()}; per-example rules need a single reader");
        }
        switch (node.OpType)
        {
            case "Transpose":
            {
                long[] perm = node.GetInts("perm") ?? Enumerable.Range(0, Shape(v).Length).Reverse().Select(i => (long)i).ToArray();
                var inverse = new long[perm.Length];
                for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
                return Follow(g, forward, parameter, Out(), Next(), x => toParameter(Op.Transpose(x, inverse)));
            }
            case "Slice" when at == 0:
            {
                var shape = Shape(v);
                var r = SliceRange(g, node, shape) ?? throw Unsupported(parameter, node, "a slice whose bounds are not constants with step 1");
                var pads = new long[2 * shape.Length];
                pads[r.Axis] = r.Start; pads[shape.Length + r.Axis] = shape[r.Axis] - r.End;
                return Follow(g, forward, parameter, Out(), Next(), x => toParameter(Op.Pad(x, pads)));
            }
            case "Gemm" when at == 1 && node.GetInt("transA", 0) == 0:
                return new(new DenseTap(Out(), g[node.Inputs[0]], node.GetInt("transB", 0) == 1, node.GetFloat("alpha", 1)), toParameter);
            case "Gemm" when at == 2:
                return new(Broadcast(Out(), d => d * (double)node.GetFloat("beta", 1), Shape(v), parameter, node), toParameter);
            case "MatMul" when at == 1 && Shape(v).Length == 2:
                return new(new DenseTap(Out(), g[node.Inputs[0]], transposed: false, alpha: 1), toParameter);
            case "Conv" when at == 1:
                return new(ConvTap.Create(node, g[node.Inputs[0]], v, Out()), toParameter);
            case "Conv" when at == 2:
            {
                var y = Out();
                int rank = y.Rank ?? throw Unsupported(parameter, node, "an output of unknown rank");
                return new(new MaterializedTap(y, d => Op.ReduceSum(d, Enumerable.Range(2, rank - 2).Select(i => (long)i).ToArray(), keepDims: false), Shape(v)), toParameter);
            }
            case "Gather" when at == 0 && node.GetInt("axis", 0) == 0 && Shape(v).Length == 2:
                return new(new EmbeddingTap(Out(), g[node.Inputs[1]], Shape(v)), toParameter);
            case "LayerNormalization" when at is 1 or 2:
                return new(LayerNormTap(g, node, at, Shape(v), parameter), toParameter);
            case "Add" or "Sub" or "Mul" or "Div":
            {
                var y = Out();
                var other = g[node.Inputs[1 - at]];
                Func<Value, Value> full = node.OpType switch
                {
                    "Add" => d => d,
                    "Sub" => at == 0 ? d => d : d => -d,
                    "Mul" => d => d * other,
                    _ => at == 1 ? d => -(d * y) / v : d => d / other,
                };
                return new(Broadcast(y, full, Shape(v), parameter, node), toParameter);
            }
            default:
                throw Unsupported(parameter, node, $"a use with no per-example rule (supported: {Supported})");
        }
    }

    // LayerNorm's scale multiplies x̂ (recomputed here by a LayerNormalization with unit scale and no shift), its shift
    // adds: per example, δ ⊙ x̂ and δ summed over the axes between the batch and the normalised ones.
    private static ParameterTap LayerNormTap(GraphBuilder g, Node node, int at, long[] shape, string parameter)
    {
        var x = g[node.Inputs[0]];
        int rank = x.Rank ?? throw Unsupported(parameter, node, "an input of unknown rank");
        int axis = (int)node.GetInt("axis", -1);
        if (axis < 0) axis += rank;
        if (axis == 0) throw Unsupported(parameter, node, "normalisation over the batch axis, which mixes examples");
        var sumAxes = Enumerable.Range(1, axis - 1).Select(i => (long)i).ToArray();
        Value SumOver(Value t) => Op.Reshape(sumAxes.Length == 0 ? t : Op.ReduceSum(t, sumAxes, keepDims: false), [-1, .. shape]);
        var y = g[node.Outputs[0]];
        if (at == 2) return new MaterializedTap(y, SumOver, shape);
        var ones = g.Constant(TensorData.FromFloats("", Enumerable.Repeat(1f, (int)shape.Aggregate(1L, (a, b) => a * b)).ToArray(), shape));
        var xhat = Op.LayerNormalization(x, ones, null, axis, node.GetFloat("epsilon", 1e-5f));
        return new MaterializedTap(y, d => SumOver(d * xhat), shape);
    }

    // A parameter broadcast against a batch tensor y [B, …]: the per-example gradient is the elementwise gradient
    // (full(δ), y's shape) summed over the axes the parameter was broadcast along, batch axis kept.
    private static MaterializedTap Broadcast(Value y, Func<Value, Value> full, long[] shape, string parameter, Node node)
    {
        int rank = y.Rank ?? throw Unsupported(parameter, node, "an output of unknown rank");
        if (shape.Length > rank || (shape.Length == rank && shape[0] != 1))
            throw Unsupported(parameter, node, $"a parameter of shape [{string.Join(", ", shape)}] that does not broadcast along the batch axis of {y.Type}");
        int first = rank - shape.Length; // output axis of the parameter's axis 0
        var ones = Enumerable.Range(0, shape.Length).Where(k => shape[k] == 1 && first + k > 0).Select(k => (long)(first + k)).ToArray();
        var lead = Enumerable.Range(1, Math.Max(0, first - 1)).Select(i => (long)i).ToArray();
        return new MaterializedTap(y, d =>
        {
            var t = full(d);
            if (ones.Length > 0) t = Op.ReduceSum(t, ones, keepDims: true);
            if (lead.Length > 0) t = Op.ReduceSum(t, lead, keepDims: false);
            return Op.Reshape(t, [-1, .. shape.Length == rank ? shape[1..] : shape]);
        }, shape.Length == rank ? shape[1..] : shape, shape);
    }

    private static long[] Shape(Value v) => v.Shape is { IsFullyKnown: true } s ? s.ToArray()
        : throw new NotSupportedException($"DP-SGD: '{v.Name}' needs a static shape, got {v.Type}");

    private static (int Axis, long Start, long End)? SliceRange(GraphBuilder g, Node node, long[] shape)
    {
        long[]? Ints(int i) => node.Inputs.Count > i && node.Inputs[i].Length > 0 && g.ConstantValue(node.Inputs[i]) is { } t ? TensorData.ToInt64Array(t) : null;
        var starts = Ints(1); var ends = Ints(2);
        // Omitted trailing inputs may also be empty names.
        var axes = node.Inputs.Count > 3 && node.Inputs[3].Length > 0 ? Ints(3) : [0];
        var steps = node.Inputs.Count > 4 && node.Inputs[4].Length > 0 ? Ints(4) : [1];
        if (starts is not { Length: 1 } || ends is not { Length: 1 } || axes is not { Length: 1 } || steps is not [1]) return null;
        int axis = (int)(axes[0] < 0 ? axes[0] + shape.Length : axes[0]);
        long Clamp(long i) => Math.Clamp(i < 0 ? i + shape[axis] : i, 0, shape[axis]);
        return (axis, Clamp(starts[0]), Clamp(ends[0]));
    }

    private static bool Overlap(IEnumerable<(int Axis, long Start, long End)> ranges)
    {
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        return sorted.Zip(sorted.Skip(1)).Any(pair => pair.First.End > pair.Second.Start);
    }

    private static NotSupportedException Unsupported(string parameter, Node node, string what) =>
        new($"DP-SGD: parameter '{parameter}' is read by {node.Describe()} as {what}; freeze it, or use another layer");
}
