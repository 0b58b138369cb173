using Microsoft.ML;
using Microsoft.ML.Data;

namespace OnnxKit.Interop.MLNet;

/// <summary>
/// Input-column checks with ML.NET's own wording ("Schema mismatch for input column 'X': expected …, got …"), thrown as
/// <see cref="ArgumentOutOfRangeException"/> on the schema parameter as ML.NET's transformers do.
/// </summary>
internal static class SchemaChecks
{
    /// <summary>The feature column must be a vector of <see cref="float"/> of exactly <paramref name="size"/> values.</summary>
    public static void RequireFeatures(DataViewSchema schema, string column, int size)
    {
        string expected = $"Vector<Single, {size}>";
        var col = Find(schema, column, "feature", expected);
        if (col.Type is not VectorDataViewType v || v.ItemType != NumberDataViewType.Single || v.Size != size)
            throw Mismatch(column, "feature", expected, col.Type);
    }

    /// <summary>Shape-level check for estimators (sizes are checked when data arrives).</summary>
    public static void RequireFeatures(SchemaShape shape, string column, int? size)
    {
        string expected = size is { } n ? $"Vector<Single, {n}>" : "Vector<Single> of known size";
        if (FindColumn(shape, column) is not { } col)
            throw new ArgumentOutOfRangeException("inputSchema", $"Could not find feature column '{column}' (expected {expected})");
        if (col.Kind != SchemaShape.Column.VectorKind.Vector || col.ItemType != NumberDataViewType.Single || col.IsKey)
            throw new ArgumentOutOfRangeException("inputSchema", $"Schema mismatch for feature column '{column}': expected {expected}, got {Describe(col)}");
    }

    /// <summary>The visible column named <paramref name="column"/> (the last of that name), or null.</summary>
    public static SchemaShape.Column? FindColumn(SchemaShape shape, string column) =>
        shape.Where(c => c.Name == column).Select(c => (SchemaShape.Column?)c).LastOrDefault();

    public static DataViewSchema.Column Find(DataViewSchema schema, string column, string role, string expected) =>
        schema.GetColumnOrNull(column) is { } c ? c : throw new ArgumentOutOfRangeException("inputSchema", $"Could not find {role} column '{column}' (expected {expected})");

    public static ArgumentOutOfRangeException Mismatch(string column, string role, string expected, DataViewType got) =>
        new("inputSchema", $"Schema mismatch for {role} column '{column}': expected {expected}, got {got}");

    public static string Describe(SchemaShape.Column c) => c.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => c.IsKey ? $"Key<{c.ItemType}>" : $"{c.ItemType}",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{c.ItemType}>",
        _ => $"VarVector<{c.ItemType}>",
    };
}
