using System.Collections;

namespace OnnxKit;

/// <summary>Modules applied one after another (Keras' Sequential, PyTorch's nn.Sequential: children named 0, 1, 2, …).</summary>
public sealed class Sequential : Module, IEnumerable<Module>
{
    private readonly List<Module> _layers = [];

    /// <summary>Creates the stack.</summary>
    public Sequential(params Module[] layers) { foreach (var l in layers) Append(l); }

    /// <summary>Appends a module; it is named by its position.</summary>
    public Sequential Append(Module layer)
    {
        Add(_layers.Count.ToString(), layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <inheritdoc/>
    public override Value Forward(Value x)
    {
        foreach (var l in _layers) x = l.Call(x);
        return x;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _layers.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
