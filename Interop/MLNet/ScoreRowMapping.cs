using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace OnnxKit.Interop.MLNet;

/// <summary>
/// Splits the model's per-row vector <c>[score or class index, probability, predicted]</c> into scalar columns.
/// ML.NET's ONNX scorer only produces vector columns (a rank-0 ONNX output fails inside it), while ML.NET's
/// evaluators need scalar <c>Score</c>/<c>Probability</c>/<c>PredictedLabel</c>. Registered under a contract name so a
/// saved pipeline loads again once the assembly is known to the loading <c>MLContext</c> (calling
/// <c>mlContext.OnnxKit()</c> registers it).
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class ScoreRowMapping : CustomMappingFactory<ScoreRowMapping.Input, ScoreRowMapping.Output>
{
    /// <summary>The contract name stored in saved pipelines.</summary>
    public const string ContractName = "OnnxKit.ScoreRow";
    /// <summary>The model's per-row vector column.</summary>
    public const string RowColumn = "onnxkit.row";
    /// <summary>Temporary scalar score (or class index) column.</summary>
    public const string ScoreColumn = "onnxkit.score";
    /// <summary>Temporary scalar probability column.</summary>
    public const string ProbabilityColumn = "onnxkit.probability";
    /// <summary>Temporary predicted-class (Boolean) column.</summary>
    public const string PredictedColumn = "onnxkit.predicted";
    /// <summary>Temporary class-index column.</summary>
    public const string IndexColumn = "onnxkit.index";

    /// <summary>The mapping's input row.</summary>
    public sealed class Input
    {
        /// <summary>[score or class index, probability, predicted (0/1)].</summary>
        [ColumnName(RowColumn), VectorType(3)] public float[] Row { get; set; } = [];
    }

    /// <summary>The mapping's output row.</summary>
    public sealed class Output
    {
        /// <summary>The score (binary margin, regression value) or the class index as a float.</summary>
        [ColumnName(ScoreColumn)] public float Score { get; set; }
        /// <summary>Probability of the positive class (binary).</summary>
        [ColumnName(ProbabilityColumn)] public float Probability { get; set; }
        /// <summary>Predicted class (binary).</summary>
        [ColumnName(PredictedColumn)] public bool Predicted { get; set; }
        /// <summary>The class index (multiclass).</summary>
        [ColumnName(IndexColumn)] public long Index { get; set; }
    }

    /// <summary>The row-wise split.</summary>
    public static void Map(Input input, Output output)
    {
        output.Score = input.Row[0];
        output.Probability = input.Row[1];
        output.Predicted = input.Row[2] > 0.5f;
        output.Index = (long)input.Row[0];
    }

    /// <inheritdoc/>
    public override Action<Input, Output> GetMapping() => Map;
}
