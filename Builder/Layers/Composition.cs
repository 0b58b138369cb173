namespace OnnxKit;

/// <summary>A skip connection: x + fn(x). The wrapped module is the child <c>fn</c> (parameters <c>fn.weight</c>, …).</summary>
public sealed class Residual : Module
{
    /// <summary>The wrapped module.</summary>
    public Module Fn { get; }

    /// <summary>Wraps <paramref name="fn"/>, whose output must have the shape of its input.</summary>
    public Residual(Module fn) => Fn = Add("fn", fn);

    /// <inheritdoc/>
    public override Value Forward(Value x) => x + Fn.Call(x);
}

/// <summary>A parameter-free function of the input as a module (e.g. <c>new Lambda(x =&gt; x * 2.0)</c>), for Sequential.</summary>
public sealed class Lambda(Func<Value, Value> fn, string? name = null) : Module
{
    private readonly Func<Value, Value> _fn = fn ?? throw new ArgumentNullException(nameof(fn));

    /// <inheritdoc/>
    public override Value Forward(Value x) => _fn(x);

    /// <inheritdoc/>
    public override string ToString() => name ?? "Lambda";
}
