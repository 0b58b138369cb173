namespace OnnxKit;

/// <summary>
/// A model with several named inputs and outputs, in the spirit of Keras' functional API
/// (<c>keras.Model(inputs=[a, b], outputs={"class": y1, "score": y2})</c>): its layers are declared once as named
/// sub-modules (their parameters get the layer's name as prefix, as in a PyTorch state_dict), and a forward function wires
/// the named input values through them into the named outputs. Inputs may be of any element type (int64 token ids into
/// <see cref="Embedding"/>, float features); a trainer compiles one loss per output, with weights.
/// </summary>
/// <example>
/// <code>
/// var embed = new Embedding(100, 8); var body = new Dense(16, Activation.Relu); var cls = new Dense(3); var reg = new Dense(1);
/// var model = new FunctionalModel(
///     [ModelInput.Float32("features", 4), ModelInput.Int64("tokens", 6)], ["class", "score"],
///     [("embed", embed), ("body", body), ("cls", cls), ("reg", reg)],
///     x =&gt;
///     {
///         var h = body.Call(Op.Concat(1, x["features"], Op.ReduceMean(embed.Call(x["tokens"]), [1], keepDims: false)));
///         return new Dictionary&lt;string, Value&gt; { ["class"] = cls.Call(h), ["score"] = reg.Call(h) };
///     });
/// </code>
/// </example>
public sealed class FunctionalModel : Module
{
    private readonly Func<IReadOnlyDictionary<string, Value>, IReadOnlyDictionary<string, Value>> _forward;

    /// <summary>The named inputs, in graph order.</summary>
    public IReadOnlyList<ModelInput> Inputs { get; }
    /// <summary>The output names, in graph order.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Creates the model.</summary>
    /// <param name="inputs">The named inputs (distinct names).</param>
    /// <param name="outputs">The names of the outputs <paramref name="forward"/> returns (distinct).</param>
    /// <param name="layers">The layers the forward function calls, with the names their parameters are prefixed with.</param>
    /// <param name="forward">From the input values by name to the output values by name.</param>
    /// <exception cref="ArgumentException">No input or output, a repeated name, or a non-positive sample dimension.</exception>
    public FunctionalModel(IReadOnlyList<ModelInput> inputs, IReadOnlyList<string> outputs, IEnumerable<(string Name, Module Layer)> layers,
                           Func<IReadOnlyDictionary<string, Value>, IReadOnlyDictionary<string, Value>> forward)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(layers);
        _forward = forward ?? throw new ArgumentNullException(nameof(forward));
        if (inputs.Count == 0) throw new ArgumentException("a functional model needs at least one input", nameof(inputs));
        if (outputs.Count == 0) throw new ArgumentException("a functional model needs at least one output", nameof(outputs));
        if (inputs.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1) is { } dupIn)
            throw new ArgumentException($"input name '{dupIn.Key}' is given twice", nameof(inputs));
        if (outputs.GroupBy(o => o).FirstOrDefault(g => g.Count() > 1) is { } dupOut)
            throw new ArgumentException($"output name '{dupOut.Key}' is given twice", nameof(outputs));
        if (inputs.FirstOrDefault(i => i.SampleShape.Any(d => d <= 0)) is { } bad)
            throw new ArgumentException($"input '{bad.Name}' has sample shape [{string.Join(", ", bad.SampleShape)}]; every dimension must be positive", nameof(inputs));
        if (inputs.Select(i => i.Name).Intersect(outputs).FirstOrDefault() is { } both)
            throw new ArgumentException($"'{both}' names both an input and an output", nameof(outputs));
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        foreach (var (name, layer) in layers) Add(name, layer);
    }

    /// <summary>
    /// The computation: the output values by name from the input values by name (every declared input must be given).
    /// </summary>
    /// <exception cref="ArgumentException">An input is missing, or the forward function returned other outputs than declared.</exception>
    public IReadOnlyDictionary<string, Value> Forward(IReadOnlyDictionary<string, Value> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (Inputs.FirstOrDefault(i => !inputs.ContainsKey(i.Name)) is { } missing)
            throw new ArgumentException($"input '{missing.Name}' ({missing.Describe()}) is missing; the model takes [{string.Join(", ", Inputs.Select(i => i.Name))}]", nameof(inputs));
        var outputs = _forward(inputs);
        if (Outputs.FirstOrDefault(o => !outputs.ContainsKey(o)) is { } absent)
            throw new InvalidOperationException($"the forward function returned no output '{absent}'; it returned [{string.Join(", ", outputs.Keys)}], the model declares [{string.Join(", ", Outputs)}]");
        if (outputs.Keys.FirstOrDefault(k => !Outputs.Contains(k)) is { } extra)
            throw new InvalidOperationException($"the forward function returned output '{extra}', which the model does not declare (outputs [{string.Join(", ", Outputs)}])");
        return Outputs.ToDictionary(o => o, o => outputs[o]);
    }

    /// <summary>The one output from the one input, for a model declared with a single input and output (so it can sit where a module is expected).</summary>
    /// <exception cref="InvalidOperationException">The model has several inputs or outputs.</exception>
    public override Value Forward(Value x)
    {
        if (Inputs.Count != 1 || Outputs.Count != 1)
            throw new InvalidOperationException($"this functional model has inputs [{string.Join(", ", Inputs.Select(i => i.Name))}] and outputs [{string.Join(", ", Outputs)}]; " +
                "call Forward with the inputs by name");
        return Forward(new Dictionary<string, Value> { [Inputs[0].Name] = x })[Outputs[0]];
    }
}
