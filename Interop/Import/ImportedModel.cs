using OnnxKit.IR;

namespace OnnxKit.Interop.Import;

/// <summary>A loaded, checked and normalised model with the record of what the import did to it.</summary>
public sealed class ImportedModel
{
    /// <summary>The normalised model (canonical opset, constants folded).</summary>
    public required OnnxModel Model { get; init; }
    /// <summary>The standard opset the file was written for.</summary>
    public required long SourceOpset { get; init; }
    /// <summary>The IR version of the file.</summary>
    public required long SourceIrVersion { get; init; }
    /// <summary>Every rewrite, node by node (upgrades, reordering).</summary>
    public required IReadOnlyList<string> Changes { get; init; }
    /// <summary>Values replaced by constants.</summary>
    public int FoldedValues { get; init; }
    /// <summary>Nodes whose output types shape inference could not derive, with the reason (empty when all were inferred).</summary>
    public required IReadOnlyList<string> ShapeIssues { get; init; }
    /// <summary>What can be trained and what stops training (null when not analysed).</summary>
    public TrainabilityReport? Trainability { get; init; }
}
