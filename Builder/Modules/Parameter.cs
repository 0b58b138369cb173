using OnnxKit.Init;
using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// A tensor a module owns: a trainable weight or a buffer (e.g. BatchNorm's running statistics). Its values
/// are drawn once, on first use, from its initializer; building the same module into several graphs
/// (training, evaluation, inference) reuses them.
/// </summary>
public sealed class Parameter
{
    /// <summary>Local name within its module (<c>weight</c>, <c>bias</c>, <c>running_mean</c>).</summary>
    public string Name { get; }
    /// <summary>Dimensions of the tensor, fixed when the module is constructed.</summary>
    public long[] Shape { get; }
    /// <summary>How its values are drawn.</summary>
    public IInitializer Initializer { get; }
    /// <summary>True for weights the optimizer updates; false for buffers and frozen weights.</summary>
    public bool Trainable { get; set; }
    /// <summary>True for buffers: state updated by the forward pass in training (running statistics), never by the optimizer.</summary>
    public bool IsBuffer { get; }
    /// <summary>The module that owns it.</summary>
    public Module Owner { get; }

    private float[]? _data;

    internal Parameter(Module owner, string name, long[] shape, IInitializer init, bool trainable, bool isBuffer)
    {
        Owner = owner; Name = name; Shape = shape; Initializer = init; Trainable = trainable; IsBuffer = isBuffer;
    }

    /// <summary>Full state_dict-style name, e.g. <c>0.weight</c> or <c>encoder.fc1.bias</c>.</summary>
    public string FullName => Owner.Prefix + Name;

    /// <summary>Current values (drawn on first access with the module tree's random generator).</summary>
    public float[] Data
    {
        get => _data ??= Initializer.Create(Shape, Owner.Root.Rng);
        set
        {
            if (value.Length != Initializers.Count(Shape))
                throw new ArgumentException($"parameter '{FullName}' has shape [{string.Join(", ", Shape)}] ({Initializers.Count(Shape)} values), got {value.Length} values");
            _data = value;
        }
    }

    /// <summary>The parameter's value in graph <paramref name="g"/> (added as an initializer on first use there).</summary>
    public Value In(GraphBuilder g)
    {
        if (g.Has(FullName)) return g[FullName];
        return g.Initializer(TensorData.FromFloats(FullName, Data, Shape));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{FullName} [{string.Join(", ", Shape)}]{(IsBuffer ? " (buffer)" : Trainable ? "" : " (frozen)")}";
}
