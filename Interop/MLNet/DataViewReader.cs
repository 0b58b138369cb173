using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Training.Data;

namespace OnnxKit.Interop.MLNet;

/// <summary>Reads the feature and label columns of an <see cref="IDataView"/> into a <see cref="TensorDataset"/>.</summary>
internal static class DataViewReader
{
    /// <summary>What the label column says about the task.</summary>
    internal sealed record LabelKind(ScoringTask Task, int Classes, string[] Labels);

    public static LabelKind Inspect(DataViewSchema schema, string labelColumn)
    {
        var col = SchemaChecks.Find(schema, labelColumn, "label", "Key, Boolean or Single");
        switch (col.Type)
        {
            case KeyDataViewType key when key.RawType == typeof(uint):
            {
                int classes = checked((int)key.Count);
                if (classes < 2) throw SchemaChecks.Mismatch(labelColumn, "label", "Key with at least 2 values", col.Type);
                var names = Enumerable.Range(1, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                if (col.HasKeyValues())
                {
                    VBuffer<ReadOnlyMemory<char>> values = default;
                    try
                    {
                        col.GetKeyValues(ref values);
                        names = values.DenseValues().Select(v => v.ToString()).ToArray();
                    }
                    catch (InvalidOperationException)
                    {
                        // Key values of another type (e.g. numbers): written with their own ToString below.
                        names = KeyValuesAsText(col, classes);
                    }
                }
                return new LabelKind(ScoringTask.Multiclass, classes, names);
            }
            case BooleanDataViewType:
                return new LabelKind(ScoringTask.Binary, 2, ["False", "True"]);
            case NumberDataViewType n when n == NumberDataViewType.Single:
                return new LabelKind(ScoringTask.Regression, 1, []);
            default:
                throw SchemaChecks.Mismatch(labelColumn, "label", "Key<UInt32>, Boolean or Single", col.Type);
        }
    }

    private static string[] KeyValuesAsText(DataViewSchema.Column col, int classes)
    {
        var type = col.Annotations.Schema["KeyValues"].Type;
        var item = (type as VectorDataViewType)?.ItemType.RawType;
        string[] Read<T>()
        {
            VBuffer<T> v = default;
            col.Annotations.GetValue("KeyValues", ref v);
            return v.DenseValues().Select(x => Convert.ToString(x, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();
        }
        string[] names = item == typeof(float) ? Read<float>() : item == typeof(double) ? Read<double>() : item == typeof(int) ? Read<int>()
            : item == typeof(long) ? Read<long>() : item == typeof(uint) ? Read<uint>() : item == typeof(bool) ? Read<bool>()
            : Enumerable.Range(1, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return names;
    }

    public static TensorDataset Read(IDataView data, string featureColumn, string labelColumn, LabelKind kind, int[] sampleShape)
    {
        int size = sampleShape.Aggregate(1, (a, b) => a * b);
        SchemaChecks.RequireFeatures(data.Schema, featureColumn, size);
        var fcol = data.Schema[featureColumn];
        var lcol = data.Schema[labelColumn];
        var features = new List<float>();
        var labels = new List<long>();
        var targets = new List<float>();
        using var cursor = data.GetRowCursor([fcol, lcol]);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(fcol);
        VBuffer<float> row = default;
        Func<long> label = kind.Task switch
        {
            ScoringTask.Multiclass => Getter<uint, long>(cursor, lcol, k => k == 0
                ? throw new InvalidDataException($"label column '{labelColumn}' has a missing value (key 0) in row {cursor.Position}") : k - 1),
            ScoringTask.Binary => Getter<bool, long>(cursor, lcol, b => b ? 1 : 0),
            _ => () => 0,
        };
        var target = kind.Task == ScoringTask.Regression ? cursor.GetGetter<float>(lcol) : null;
        while (cursor.MoveNext())
        {
            getFeatures(ref row);
            foreach (var v in row.DenseValues()) features.Add(v);
            if (target is not null) { float t = 0; target(ref t); targets.Add(t); }
            else labels.Add(label());
        }
        if (labels.Count + targets.Count == 0) throw new InvalidDataException($"the training data has no rows (columns '{featureColumn}', '{labelColumn}')");
        string source = $"IDataView columns '{featureColumn}'/'{labelColumn}'";
        return kind.Task == ScoringTask.Regression
            ? new TensorDataset([.. features], sampleShape, [.. targets], 1, source)
            : new TensorDataset([.. features], sampleShape, [.. labels], kind.Labels, kind.Classes, source);
    }

    private static Func<TOut> Getter<TIn, TOut>(DataViewRowCursor cursor, DataViewSchema.Column col, Func<TIn, TOut> map)
    {
        var get = cursor.GetGetter<TIn>(col);
        return () => { TIn v = default!; get(ref v); return map(v); };
    }
}
