using OnnxKit.IR;

namespace OnnxKit.Training.Optimizers;

/// <summary>Builds the standalone optimizer model of the split mode (gradients computed, accumulated or all-reduced elsewhere).</summary>
public static class OptimizerGraph
{
    /// <summary>
    /// A standalone <c>optimizer.onnx</c>: inputs <c>lr</c> (float32 scalar), the optimizer-wide state (<c>optimizer.step</c>, …),
    /// <c>&lt;param&gt;</c>, <c>&lt;param&gt;.grad</c> and <c>&lt;param&gt;.&lt;slot&gt;</c>; outputs <c>&lt;param&gt;.next</c>,
    /// <c>&lt;param&gt;.&lt;slot&gt;.next</c> and the optimizer-wide state's <c>.next</c>.
    /// </summary>
    /// <param name="opt">The optimizer.</param>
    /// <param name="parameters">The parameters by name with their shapes.</param>
    /// <param name="type">Element type of parameters, gradients and slots (step scalars stay float32).</param>
    public static OnnxModel Build(Optimizer opt, IReadOnlyList<(string Name, long[] Shape)> parameters, ElementType type = ElementType.Float32)
    {
        ArgumentNullException.ThrowIfNull(opt);
        if (parameters.Count == 0) throw new ArgumentException("the optimizer graph needs at least one parameter", nameof(parameters));
        var dup = parameters.GroupBy(p => p.Name).FirstOrDefault(x => x.Count() > 1);
        if (dup is not null) throw new ArgumentException($"parameter '{dup.Key}' is listed twice", nameof(parameters));
        if (type is not (ElementType.Float32 or ElementType.Float64))
            throw new ArgumentException($"optimizer parameters must be float32 or float64, got {type}", nameof(type));

        var g = new GraphBuilder($"{opt.Name}_optimizer");
        var step = opt.BeginStep(g);
        var values = new Dictionary<string, Value>();
        var grads = new Dictionary<string, Value>();
        var states = new Dictionary<string, List<Value>>();
        foreach (var (name, shape) in parameters)
        {
            var dims = shape.Select(d => (Dim)d).ToArray();
            values[name] = g.Input(name, type, dims);
            grads[name] = g.Input($"{name}.grad", type, dims);
            states[name] = opt.Slots.Select(s => g.Input($"{name}.{s.Name}", type, dims)).ToList();
        }
        var clipped = opt.ClipGradients(g, grads);
        foreach (var (name, _) in parameters)
        {
            ParamUpdate update;
            using (g.Scope(name)) update = opt.Update(g, values[name], clipped[name], states[name], step.Scalars);
            g.Output(update.NewParam, $"{name}.next");
            for (int k = 0; k < opt.Slots.Count; k++) g.Output(update.NewState[k], $"{name}.{opt.Slots[k].Name}.next");
        }
        foreach (var st in step.State) g.Output(st.Next, st.Name + ".next");
        return g.Build();
    }
}
