using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff;

/// <summary>
/// What a gradient rule sees of one forward node: its inputs and outputs, the gradients flowing into its outputs,
/// its attributes, and helpers (typed constants, shape slices, <see cref="Unbroadcast"/>). A rule reads like the math:
/// <c>g.InputGrad(0, g.OutputGrad(0)! * y * (1 - y))</c>.
/// </summary>
public sealed class GradScope
{
    private readonly Value?[] _outputGrads;
    private readonly bool[] _needs;
    private readonly Action<int, Value> _sink;

    private readonly HashSet<(string Grad, string Value)> _zeroWhereZero;
    private readonly List<(string Original, string Replacement)> _forwardReplacements;

    internal GradScope(GraphBuilder graph, Node node, Value?[] outputGrads, bool[] needs, ElementType elementType, Action<int, Value> sink,
        HashSet<(string Grad, string Value)> zeroWhereZero, List<(string Original, string Replacement)> forwardReplacements)
    {
        Graph = graph; Node = node; _outputGrads = outputGrads; _needs = needs; ElementType = elementType; _sink = sink; _zeroWhereZero = zeroWhereZero;
        _forwardReplacements = forwardReplacements;
    }

    /// <summary>
    /// Asks for forward output <paramref name="output"/> of this node to be computed as <paramref name="replacement"/>
    /// (an equivalent value built from the node's inputs and values the gradient needs anyway). Applied once the whole
    /// gradient is built: the replacement's nodes take the forward node's place and name (see <see cref="ForwardRewrite"/>).
    /// </summary>
    public void ReplaceForward(int output, Value replacement) => _forwardReplacements.Add((Node.Outputs[output], replacement.Name));

    /// <summary>
    /// Records that <paramref name="grad"/> is zero wherever <paramref name="value"/> is zero, so that the rule of the node
    /// producing <paramref name="value"/> may skip a mask it would otherwise apply (a MaxPool rule that already masked
    /// its gradient tells the ReLU before it; see <see cref="IsZeroWhereZero"/>).
    /// </summary>
    public void MarkZeroWhereZero(Value grad, Value value) => _zeroWhereZero.Add((grad.Name, value.Name));

    /// <summary>True when an earlier rule recorded that <paramref name="grad"/> is zero wherever <paramref name="value"/> is zero.</summary>
    public bool IsZeroWhereZero(Value grad, Value value) => _zeroWhereZero.Contains((grad.Name, value.Name));

    /// <summary>The node that computes <paramref name="v"/>, or null for graph inputs and initializers.</summary>
    public Node? ProducerOf(Value v) => Graph.Graph.Producer(v.Name);

    /// <summary>The graph the gradient nodes are added to.</summary>
    public GraphBuilder Graph { get; }
    /// <summary>The forward node being differentiated.</summary>
    public Node Node { get; }
    /// <summary>The floating-point element type of the gradients here (constants are made of it).</summary>
    public ElementType ElementType { get; }
    /// <summary>The graph's standard-domain opset.</summary>
    public int Opset => Graph.Opset;

    /// <summary>True when input <paramref name="i"/> is given.</summary>
    public bool HasInput(int i) => i < Node.Inputs.Count && Node.Inputs[i].Length > 0;
    /// <summary>Number of inputs (omitted trailing ones excluded).</summary>
    public int InputCount => Node.Inputs.Count;
    /// <summary>The forward input <paramref name="i"/>.</summary>
    public Value Input(int i) => HasInput(i) ? Graph[Node.Inputs[i]] : throw Fail($"input {i} is missing");
    /// <summary>The forward output <paramref name="i"/>; an optional output the node did not produce is added to it (reused, not recomputed).</summary>
    public Value Output(int i) => Graph.NodeOutput(Node, i);
    /// <summary>The gradient flowing into output <paramref name="i"/>, or null where that output does not reach the loss.</summary>
    public Value? OutputGrad(int i) => i < _outputGrads.Length ? _outputGrads[i] : null;
    /// <summary>The gradient of output 0 (present whenever a single-output node is differentiated).</summary>
    public Value Dy => _outputGrads[0] ?? throw Fail("output 0 carries no gradient");
    /// <summary>True when input <paramref name="i"/> needs a gradient (it depends on a trained value and reaches the loss).</summary>
    public bool NeedsGrad(int i) => i < _needs.Length && _needs[i];

    /// <summary>Contributes <paramref name="grad"/> to the gradient of input <paramref name="i"/> (ignored where it needs none).</summary>
    public void InputGrad(int i, Value grad)
    {
        if (NeedsGrad(i)) _sink(i, grad);
    }

    /// <summary>Integer attribute.</summary>
    public long AttrInt(string name, long dflt) => Node.GetInt(name, dflt);
    /// <summary>Float attribute.</summary>
    public float AttrFloat(string name, float dflt) => Node.GetFloat(name, dflt);
    /// <summary>String attribute.</summary>
    public string? AttrString(string name, string? dflt = null) => Node.GetString(name, dflt);
    /// <summary>Integer-list attribute, or null.</summary>
    public long[]? AttrInts(string name) => Node.GetInts(name);
    /// <summary>The constant content of input <paramref name="i"/> as int64s, or null when computed at run time.</summary>
    public long[]? ConstantInts(int i) => HasInput(i) && Graph.ConstantValue(Node.Inputs[i]) is { } t ? TensorData.ToInt64Array(t) : null;

    /// <summary>A scalar constant of the gradient element type (shared by identical constants).</summary>
    public Value C(double value) => Graph.Scalar(value, ElementType);
    /// <summary>A 1-D int64 constant.</summary>
    public Value Ints(params long[] values) => Graph.Int64s(values);
    /// <summary>A 1-D constant of the gradient element type.</summary>
    public Value Vector(params double[] values) => Graph.Constant(ElementType == ElementType.Float64
        ? TensorData.FromDoubles("", values, values.Length)
        : TensorData.FromFloats("", values.Select(v => (float)v).ToArray(), values.Length));

    /// <summary>Dimensions <paramref name="start"/>..<paramref name="end"/> of a value's run-time shape (1-D int64).</summary>
    public Value Dims(Value v, long start, long end = long.MaxValue) => Op.Slice(Op.Shape(v), [start], [end]);
    /// <summary>Zeros of the run-time shape of <paramref name="like"/>.</summary>
    public Value ZerosLike(Value like) => Op.ConstantOfShape(Op.Shape(like), 0, ElementType);
    /// <summary>Reshapes <paramref name="grad"/> to the shape of <paramref name="like"/> (a constant shape where it is fully known).</summary>
    public Value ReshapeLike(Value grad, Value like) =>
        like.Shape is { IsFullyKnown: true } s ? Op.Reshape(grad, s.ToArray()) : Op.Reshape(grad, Op.Shape(like));
    /// <summary>Converts to the gradient element type where it differs.</summary>
    public Value AsGradType(Value v) => v.ElementType == ElementType ? v : Op.Cast(v, ElementType);

    /// <summary>Sums a gradient over the axes along which <paramref name="like"/> was broadcast, giving it the shape of <paramref name="like"/>.</summary>
    public Value Unbroadcast(Value grad, Value like) => Broadcasting.Unbroadcast(grad, like);

    /// <summary>The rank of a value, which this rule needs to know.</summary>
    public int RankOf(Value v) => v.Rank ?? throw Fail($"the rank of '{v.Name}' is unknown (no shape inference for its producer); the gradient rule needs it");

    /// <summary>An exception naming this node.</summary>
    public GradientException Fail(string what) => new($"gradient of {Node.Describe()}: {what}");
}
