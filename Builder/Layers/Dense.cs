using OnnxKit.Init;

namespace OnnxKit;

/// <summary>
/// Fully connected layer y = x·Wᵀ + b (PyTorch's <c>nn.Linear</c>, Keras' <c>Dense</c>). The weight is stored
/// [units, inFeatures] as in PyTorch. The input size is taken from the first input it sees unless given.
/// A 2-D input becomes one <c>Gemm</c>; higher ranks a <c>MatMul</c> over the last axis plus <c>Add</c>.
/// </summary>
public sealed class Dense : Module
{
    private readonly long? _inFeatures;
    private Parameter? _weight, _bias;

    /// <summary>Output size.</summary>
    public long Units { get; }
    /// <summary>Activation applied to the output.</summary>
    public Activation Activation { get; }
    /// <summary>Whether there is a bias.</summary>
    public bool UseBias { get; }
    /// <summary>Weight initializer (default PyTorch's: U(±1/√fan_in)).</summary>
    public IInitializer WeightInitializer { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="units">Output size.</param>
    /// <param name="activation">Activation applied to the output.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="inFeatures">Input size; default: taken from the first input.</param>
    /// <param name="weightInitializer">Weight initializer; default PyTorch's U(±1/√fan_in). (A constructor argument, so it applies even when the weight is sized here.)</param>
    public Dense(long units, Activation activation = Activation.None, bool useBias = true, long? inFeatures = null, IInitializer? weightInitializer = null)
    {
        WeightInitializer = weightInitializer ?? Initializers.TorchDefaultWeight;
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), units, "a Dense layer needs at least one unit");
        Units = units; Activation = activation; UseBias = useBias; _inFeatures = inFeatures;
        if (inFeatures is long f) Build(f);
    }

    /// <summary>The weight [units, inFeatures] (null until the input size is known).</summary>
    public Parameter? Weight => _weight;
    /// <summary>The bias [units].</summary>
    public Parameter? Bias => _bias;

    private void Build(long inFeatures)
    {
        _weight = AddParameter("weight", [Units, inFeatures], WeightInitializer);
        if (UseBias) _bias = AddParameter("bias", [Units], Initializers.TorchDefaultBias(inFeatures));
    }

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        var shape = x.Shape;
        if (_weight is null)
        {
            if (shape is null) throw new GraphBuildException($"Dense '{Prefix.TrimEnd('.')}': input '{x.Name}' has unknown rank; expected [batch, features] (or pass inFeatures)");
            var f = shape[-1];
            if (!f.IsKnown) throw new GraphBuildException($"Dense '{Prefix.TrimEnd('.')}': the last dimension of input '{x.Name}' {shape} must be known to size the weight (or pass inFeatures)");
            Build(f.Value!.Value);
        }
        long inF = _weight!.Shape[1];
        // An input of unknown shape (e.g. after an op without a shape rule) is accepted once the weight is sized;
        // the runtime then checks the contraction.
        if (shape is not null && !shape[-1].Compatible(inF))
            throw new GraphBuildException($"Dense '{Prefix.TrimEnd('.')}': input '{x.Name}' has shape {shape}, expected last dimension {inF}{(shape.Rank > 2 ? " (flatten the input first, e.g. with a Flatten layer)" : "")}");
        var g = x.Builder;
        var w = _weight.In(g);
        Value y;
        if (shape?.Rank == 2)
            y = Op.Gemm(x, w, _bias?.In(g), transB: true);
        else
        {
            y = Op.MatMul(x, Op.Transpose(w, 1, 0));
            if (_bias is not null) y = y + _bias.In(g);
        }
        return Activation.Apply(y);
    }
}
