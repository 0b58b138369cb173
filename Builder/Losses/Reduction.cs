namespace OnnxKit;

/// <summary>How per-element losses are combined into the value a loss emits (PyTorch's <c>reduction</c> argument).</summary>
public enum Reduction
{
    /// <summary>The mean over elements (for weighted class losses Σ w·l / Σ w, ignored targets excluded), a scalar.</summary>
    Mean,
    /// <summary>The sum over elements, a scalar.</summary>
    Sum,
    /// <summary>No reduction: one loss per element (per sample and position for class losses).</summary>
    None,
    /// <summary>The sum divided by the batch size (the prediction's first dimension), a scalar: PyTorch's <c>'batchmean'</c>,
    /// which gives the true KL divergence per sample.</summary>
    BatchMean,
}
