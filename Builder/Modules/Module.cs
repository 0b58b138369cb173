using OnnxKit.Init;

namespace OnnxKit;

/// <summary>
/// A network building block in the PyTorch style: it declares its parameters and sub-modules once, by name,
/// and writes its computation in <see cref="Forward(Value)"/> with <see cref="Op"/>. Parameter names follow
/// PyTorch's state_dict (<c>fc1.weight</c>, <c>0.bias</c>), so weights map one-to-one onto PyTorch modules.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Module Child)> _children = [];
    private readonly List<Parameter> _parameters = [];
    private Random? _rng;

    /// <summary>The parent module, or null for a root.</summary>
    public Module? Parent { get; private set; }
    /// <summary>Name within the parent ("" for a root).</summary>
    public string LocalName { get; private set; } = "";

    /// <summary>The root of the module tree.</summary>
    public Module Root => Parent?.Root ?? this;

    /// <summary>Dotted prefix of this module's parameters ("" for a root, "fc1." for a child named fc1).</summary>
    public string Prefix => Parent is null ? "" : Parent.Prefix + LocalName + ".";

    /// <summary>Seed of the random generator that draws the initial parameters of the whole tree (default 0). Set it before first use.</summary>
    public int Seed { get; set; }

    internal Random Rng => Parent is not null ? Root.Rng : _rng ??= new Random(Seed);

    /// <summary>Registers a sub-module under a name (its parameters get the prefix <c>name.</c>).</summary>
    protected T Add<T>(string name, T child) where T : Module
    {
        if (child.Parent is not null) throw new InvalidOperationException($"module '{name}' already belongs to '{child.Parent.GetType().Name}' as '{child.LocalName}'");
        if (_children.Any(c => c.Name == name)) throw new InvalidOperationException($"{GetType().Name} already has a sub-module named '{name}'");
        child.Parent = this; child.LocalName = name;
        _children.Add((name, child));
        return child;
    }

    /// <summary>Declares a trainable parameter.</summary>
    protected Parameter AddParameter(string name, long[] shape, IInitializer init) => AddTensor(name, shape, init, trainable: true, buffer: false);

    /// <summary>Declares a buffer (state the forward pass updates in training, such as running statistics).</summary>
    protected Parameter AddBuffer(string name, long[] shape, IInitializer init) => AddTensor(name, shape, init, trainable: false, buffer: true);

    private Parameter AddTensor(string name, long[] shape, IInitializer init, bool trainable, bool buffer)
    {
        if (_parameters.Any(p => p.Name == name)) throw new InvalidOperationException($"{GetType().Name} already has a parameter named '{name}'");
        var p = new Parameter(this, name, shape, init, trainable, buffer);
        _parameters.Add(p);
        return p;
    }

    /// <summary>Direct sub-modules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> Children => _children;

    /// <summary>This module's own parameters and buffers.</summary>
    public IReadOnlyList<Parameter> OwnParameters => _parameters;

    /// <summary>Every parameter and buffer of the tree, in declaration order (PyTorch's state_dict order).</summary>
    public IEnumerable<Parameter> Parameters()
    {
        foreach (var p in _parameters) yield return p;
        foreach (var (_, c) in _children) foreach (var p in c.Parameters()) yield return p;
    }

    /// <summary>Number of trainable scalars.</summary>
    public long TrainableParameterCount => Parameters().Where(p => p.Trainable).Sum(p => Initializers.Count(p.Shape));

    /// <summary>Freezes (or unfreezes) every weight of the tree: frozen weights stay constant in training.</summary>
    public Module Freeze(bool frozen = true)
    {
        foreach (var p in Parameters()) if (!p.IsBuffer) p.Trainable = !frozen;
        return this;
    }

    /// <summary>The computation, for one input tensor.</summary>
    public abstract Value Forward(Value x);

    /// <summary>Runs <see cref="Forward(Value)"/> inside a name scope of this module (node names like <c>fc1/Gemm</c>).</summary>
    public Value Call(Value x)
    {
        using var _ = Parent is null || LocalName.Length == 0 ? null : x.Builder.Scope(Prefix.TrimEnd('.'));
        return Forward(x);
    }

    /// <inheritdoc/>
    public override string ToString() => GetType().Name;
}
