using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Training.Fit;

namespace OnnxKit.Interop.MLNet;

/// <summary>
/// An OnnxKit model in an ML.NET pipeline: ML.NET's own <c>OnnxTransformer</c> running the model (rewritten so its
/// input is the feature column and its outputs are the score columns), then <see cref="ScoreRowMapping"/> (a
/// registered custom mapping) and ML.NET's value/key mappings for the labels. Saving writes that chain with the ONNX
/// bytes inside the ML.NET model file; <c>mlContext.Model.Load</c> reads it back on a context on which
/// <c>mlContext.OnnxKit()</c> has been called (which registers the mapping). Before running, the feature column is
/// checked here so a wrong column fails with its name and the expected type and size.
/// </summary>
public sealed class OnnxKitTransformer : ITransformer
{
    private readonly ITransformer _inner;

    internal OnnxKitTransformer(ITransformer inner, ScoringColumns columns, int inputSize, byte[] onnxModel, IReadOnlyList<string> labels, History? history)
    {
        _inner = inner; Columns = columns; InputSize = inputSize; OnnxModel = onnxModel; Labels = labels; History = history;
    }

    /// <summary>The column wiring.</summary>
    public ScoringColumns Columns { get; }
    /// <summary>Values per row of the feature column.</summary>
    public int InputSize { get; }
    /// <summary>The ONNX model ML.NET runs (serialised), as embedded in a saved pipeline.</summary>
    public byte[] OnnxModel { get; }
    /// <summary>Class labels in class-index order (empty for regression).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>The training history when this transformer was produced by the training estimator, else null.</summary>
    public History? History { get; }
    /// <summary>The ML.NET transformer chain this delegates to (what <c>Model.Save</c> writes).</summary>
    public ITransformer Inner => _inner;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => _inner.IsRowToRowMapper;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        Check(inputSchema);
        return _inner.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        Check(inputSchema);
        return _inner.GetRowToRowMapper(inputSchema);
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        Check(input.Schema);
        return _inner.Transform(input);
    }

    // The saved form is the inner chain itself: it loads with plain ML.NET.
    void ICanSaveModel.Save(ModelSaveContext ctx) => _inner.Save(ctx);

    private void Check(DataViewSchema schema) => SchemaChecks.RequireFeatures(schema, Columns.FeatureColumnName, InputSize);
}
