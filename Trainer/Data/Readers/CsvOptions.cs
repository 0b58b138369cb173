namespace OnnxKit.Training.Data;

/// <summary>What the label column holds.</summary>
public enum LabelKind
{
    /// <summary>Class labels when any label is not a number or all are whole numbers; float targets otherwise.</summary>
    Auto,
    /// <summary>Class labels: whole numbers are used as class indices, strings are mapped to indices.</summary>
    Class,
    /// <summary>A float target (regression).</summary>
    Regression,
}

/// <summary>How to read a delimited text table (CSV, TSV).</summary>
public sealed class CsvOptions
{
    /// <summary>Field separator; by default a tab for <c>.tsv</c>/<c>.tab</c> files, a comma otherwise.</summary>
    public char? Delimiter { get; init; }
    /// <summary>Whether the first line names the columns (default true).</summary>
    public bool HasHeader { get; init; } = true;
    /// <summary>The label column by name (needs a header).</summary>
    public string? LabelColumn { get; init; }
    /// <summary>The label column by zero-based index; when neither this nor <see cref="LabelColumn"/> is set, the last column.</summary>
    public int? LabelColumnIndex { get; init; }
    /// <summary>What the label column holds.</summary>
    public LabelKind Labels { get; init; } = LabelKind.Auto;
    /// <summary>
    /// A fixed label mapping (index = class): string labels map to their position, and a label not in it is an error.
    /// Pass the training set's <see cref="TensorDataset.ClassNames"/> here when reading its test set.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>Number of classes for whole-number labels; a label outside [0, NumClasses) is an error.</summary>
    public int? NumClasses { get; init; }
    /// <summary>The feature columns by name, in this order; by default every column but the label and <see cref="IgnoredColumns"/>.</summary>
    public IReadOnlyList<string>? FeatureColumns { get; init; }
    /// <summary>Columns (by name) that are neither features nor label, such as ids.</summary>
    public IReadOnlyList<string>? IgnoredColumns { get; init; }
}
