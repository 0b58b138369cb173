namespace OnnxKit.Interop.Import;

/// <summary>How <see cref="ModelImporter"/> normalises a model.</summary>
public sealed record ImportOptions
{
    /// <summary>The standard opset older models are upgraded to (default the canonical opset).</summary>
    public int TargetOpset { get; init; } = InteropInfo.CanonicalOpset;
    /// <summary>Fold shape sub-graphs and small constant expressions into constants (default true).</summary>
    public bool FoldConstants { get; init; } = true;
    /// <summary>Analyse which nodes stop training (default true).</summary>
    public bool AnalyzeTrainability { get; init; } = true;
}
