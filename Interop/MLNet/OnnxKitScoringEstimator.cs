using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Training.Fit;

namespace OnnxKit.Interop.MLNet;

/// <summary>
/// Scores an OnnxKit model inside an ML.NET pipeline (see <see cref="OnnxKitCatalog.ScoreModel(string, ScoringColumns?)"/>):
/// wraps <c>ApplyOnnxModel</c> with the column mapping the model's metadata implies, plus, for a multiclass model,
/// <c>MapValue</c> + <c>MapValueToKey</c> turning the predicted class index into a key whose values are the labels.
/// Fitting looks at no data; it checks the feature column.
/// </summary>
public sealed class OnnxKitScoringEstimator : IEstimator<OnnxKitTransformer>
{
    private readonly IEstimator<ITransformer> _inner;
    private readonly ScoringGraph.Result _graph;
    private readonly byte[] _bytes;
    private readonly History? _history;

    /// <summary>The column wiring.</summary>
    public ScoringColumns Columns { get; }
    /// <summary>Class labels in class-index order (empty for regression).</summary>
    public IReadOnlyList<string> Labels => _graph.Labels;
    /// <summary>Values per row the feature column must hold.</summary>
    public int InputSize => _graph.InputSize;

    internal OnnxKitScoringEstimator(MLContext ml, ScoringGraph.Result graph, ScoringColumns columns, History? history = null)
    {
        _graph = graph; Columns = columns; _history = history;
        _bytes = graph.Model.ToBytes();
        var t = ml.Transforms;
        const string text = "onnxkit.label";
        IEstimator<ITransformer> chain = t.ApplyOnnxModel(graph.OutputColumns, [columns.FeatureColumnName], new MemoryStream(_bytes))
            .Append(t.CustomMapping<ScoreRowMapping.Input, ScoreRowMapping.Output>(ScoreRowMapping.Map, ScoreRowMapping.ContractName));
        string[] temporary = [ScoreRowMapping.RowColumn, ScoreRowMapping.ScoreColumn, ScoreRowMapping.ProbabilityColumn, ScoreRowMapping.PredictedColumn, ScoreRowMapping.IndexColumn];
        switch (columns.Task)
        {
            case ScoringTask.Multiclass:
                // Class index → label text → a key over the labels in class order (the key of class i is i + 1).
                var keyData = ml.Data.LoadFromEnumerable(graph.Labels.Select(l => new LabelRow { Label = l }));
                chain = chain
                    .Append(t.Conversion.MapValue(text, graph.Labels.Select((l, i) => new KeyValuePair<long, string>(i, l)), ScoreRowMapping.IndexColumn))
                    .Append(t.Conversion.MapValueToKey(columns.PredictedLabelColumnName, text, keyData: keyData));
                temporary = [.. temporary, text];
                break;
            case ScoringTask.Binary:
                chain = chain.Append(t.CopyColumns(columns.ScoreColumnName, ScoreRowMapping.ScoreColumn))
                    .Append(t.CopyColumns(columns.ProbabilityColumnName, ScoreRowMapping.ProbabilityColumn))
                    .Append(t.CopyColumns(columns.PredictedLabelColumnName, ScoreRowMapping.PredictedColumn));
                break;
            default:
                chain = chain.Append(t.CopyColumns(columns.ScoreColumnName, ScoreRowMapping.ScoreColumn));
                break;
        }
        chain = chain.Append(t.DropColumns(temporary));
        _inner = chain;
    }

    /// <inheritdoc/>
    public OnnxKitTransformer Fit(IDataView input)
    {
        SchemaChecks.RequireFeatures(input.Schema, Columns.FeatureColumnName, InputSize);
        return new OnnxKitTransformer(_inner.Fit(input), Columns, InputSize, _bytes, _graph.Labels, _history);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.RequireFeatures(inputSchema, Columns.FeatureColumnName, InputSize);
        return _inner.GetOutputSchema(inputSchema);
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
