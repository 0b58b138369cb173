using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

/// <summary>What a shape rule sees of one node: its attributes, its inputs' types and any constant inputs.</summary>
public sealed class ShapeContext
{
    private readonly GraphBuilder? _builder;

    internal ShapeContext(GraphBuilder? builder, Node node, TensorType?[] inputs)
    {
        _builder = builder; Node = node; Inputs = inputs;
    }

    /// <summary>The node whose outputs are inferred (its attributes and input names).</summary>
    public Node Node { get; }
    /// <summary>Input types; null for omitted optional inputs.</summary>
    public TensorType?[] Inputs { get; }
    /// <summary>Standard-domain opset of the graph.</summary>
    public int Opset => _builder?.Opset ?? 17;

    /// <summary>Number of inputs given (omitted trailing inputs excluded).</summary>
    public int InputCount => Inputs.Length;

    /// <summary>True when input <paramref name="i"/> is present.</summary>
    public bool HasInput(int i) => i < Inputs.Length && Inputs[i] is not null;

    /// <summary>The type of a required input.</summary>
    public TensorType Input(int i) =>
        HasInput(i) ? Inputs[i]! : throw Fail($"input {i} is required but missing");

    /// <summary>The value name of input <paramref name="i"/>.</summary>
    public string InputName(int i) => Node.Inputs[i];

    /// <summary>The constant content of input <paramref name="i"/> as int64s, or null when computed at run time.</summary>
    public long[]? ConstantInts(int i) =>
        HasInput(i) && _builder?.ConstantValue(Node.Inputs[i]) is { } t ? TensorData.ToInt64Array(t) : null;

    /// <summary>The constant content of input <paramref name="i"/> as doubles, or null.</summary>
    public double[]? ConstantDoubles(int i) =>
        HasInput(i) && _builder?.ConstantValue(Node.Inputs[i]) is { } t ? TensorData.ToDoubleArray(t) : null;

    /// <summary>
    /// The content of int64 input <paramref name="i"/> entry by entry: its constant values, or the symbolic values a rule
    /// recorded for it (a Shape output holds [batch, 3]); null when neither is known.
    /// </summary>
    internal Shapes.ShapeEntry[]? ShapeValue(int i)
    {
        if (!HasInput(i)) return null;
        if (ConstantInts(i) is { } v) return v.Select(x => new Shapes.ShapeEntry(x, null)).ToArray();
        return _builder?.ShapeValue(Node.Inputs[i]);
    }

    /// <summary>Records the content of output <paramref name="k"/> for rules downstream (see <see cref="ShapeValue"/>).</summary>
    internal void SetShapeValue(int k, IEnumerable<Shapes.ShapeEntry> entries)
    {
        if (_builder is not null && k < Node.Outputs.Count && Node.Outputs[k].Length > 0) _builder.RecordShapeValue(Node.Outputs[k], entries.ToArray());
    }

    /// <summary>Integer attribute.</summary>
    public long Int(string name, long dflt) => Node.GetInt(name, dflt);
    /// <summary>Float attribute.</summary>
    public float Float(string name, float dflt) => Node.GetFloat(name, dflt);
    /// <summary>String attribute.</summary>
    public string? String(string name, string? dflt = null) => Node.GetString(name, dflt);
    /// <summary>Integer-list attribute.</summary>
    public long[]? Ints(string name) => Node.GetInts(name);
    /// <summary>Tensor attribute.</summary>
    public TensorProto? Tensor(string name) => Node.GetTensor(name);

    /// <summary>An exception naming the node, its inputs' types and what went wrong.</summary>
    public GraphBuildException Fail(string what)
    {
        var ins = string.Join(", ", Node.Inputs.Select((n, k) => n.Length == 0 ? "(none)" : $"'{n}': {Inputs.ElementAtOrDefault(k)?.ToString() ?? "?"}"));
        return new GraphBuildException($"{Node.Describe()}: {what} (inputs {ins})");
    }

    /// <summary>Normalises a possibly negative axis for a tensor of rank <paramref name="rank"/>.</summary>
    public int Axis(long axis, int rank, string what = "axis")
    {
        if (axis < -rank || axis >= Math.Max(rank, 1) && !(rank == 0 && axis == 0))
            throw Fail($"{what} {axis} is out of range for rank {rank} (expected -{rank}..{rank - 1})");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>A type with the element type of input <paramref name="i"/> and the given shape.</summary>
    public TensorType Like(int i, Shape? shape) => new(Input(i).ElementType, shape);

    /// <summary>Checks that inputs <paramref name="i"/> and <paramref name="j"/> have the same element type.</summary>
    public void SameElementType(int i, int j)
    {
        var a = Input(i).ElementType; var b = Input(j).ElementType;
        if (a != ElementType.Undefined && b != ElementType.Undefined && a != b)
            throw Fail($"inputs {i} and {j} must have the same element type, got {a.OnnxName()} and {b.OnnxName()}");
    }

    /// <summary>Numpy-style multidirectional broadcasting of several shapes; fails naming the dimensions that cannot match.</summary>
    public Shape? Broadcast(params Shape?[] shapes)
    {
        if (shapes.Any(s => s is null)) return null;
        int rank = shapes.Max(s => s!.Rank);
        var dims = new Dim[rank];
        for (int k = 0; k < rank; k++)
        {
            Dim result = Dim.Of(1);
            bool first = true;
            foreach (var s in shapes)
            {
                int idx = k - (rank - s!.Rank);
                if (idx < 0) continue;
                var d = s[idx];
                if (first) { result = d; first = false; continue; }
                if (d.IsKnown && d.Value == 1) continue;
                if (result.IsKnown && result.Value == 1) { result = d; continue; }
                if (d.SameAs(result)) continue;
                if (d.IsKnown && result.IsKnown)
                    throw Fail($"shapes {string.Join(" and ", shapes.Select(x => x!.ToString()))} cannot be broadcast together (dimension {k} from the right-aligned end: {result} vs {d})");
                // Symbolic vs number or two different symbols: the run time decides; keep the more informative.
                result = result.IsKnown ? result : d.IsKnown ? d : Dim.Unknown;
            }
            dims[k] = result;
        }
        return new Shape(dims);
    }
}
