namespace OnnxKit.Explain;

/// <summary>The attributions of one input for one output of the model, and the numbers that qualify them.</summary>
public sealed record Attribution
{
    /// <summary>One value per input element, in the input's layout (row-major over <see cref="Shape"/>).</summary>
    public required float[] Values { get; init; }
    /// <summary>The model input's shape without the batch axis.</summary>
    public required long[] Shape { get; init; }
    /// <summary>The method that produced the values.</summary>
    public required AttributionMethod Method { get; init; }
    /// <summary>The explained output index.</summary>
    public required int Target { get; init; }
    /// <summary>The model's outputs at the input (flattened; logits or probabilities as the model gives them).</summary>
    public required float[] Scores { get; init; }
    /// <summary>The target output at the input.</summary>
    public float Output => Scores[Target];
    /// <summary>The target output at the baseline (Integrated Gradients and occlusion); null otherwise.</summary>
    public float? BaselineOutput { get; init; }
    /// <summary>Points of the integration path (Integrated Gradients); null otherwise.</summary>
    public int? Steps { get; init; }
    /// <summary>The quadrature rule over the path (Integrated Gradients); null otherwise.</summary>
    public IntegrationRule? Rule { get; init; }

    /// <summary>
    /// Integrated Gradients' completeness check |Σ attributions − (output − baseline output)| / |output − baseline output|;
    /// null for the other methods (and when output and baseline output are equal).
    /// </summary>
    public double? CompletenessError
    {
        get
        {
            if (Method != AttributionMethod.IntegratedGradients || BaselineOutput is not { } b) return null;
            double delta = (double)Output - b;
            if (delta == 0) return null;
            return Math.Abs(Values.Sum(v => (double)v) - delta) / Math.Abs(delta);
        }
    }
}
