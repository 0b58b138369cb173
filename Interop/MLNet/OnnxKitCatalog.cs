using Microsoft.ML;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Interop.MLNet;

/// <summary>OnnxKit's entry on <see cref="MLContext"/>, in the manner of ML.NET's own catalogs.</summary>
public static class MLContextExtensions
{
    /// <summary>
    /// OnnxKit estimators: <c>mlContext.OnnxKit().ScoreModel(...)</c> and <c>mlContext.OnnxKit().Train(...)</c>. Also
    /// registers OnnxKit with the context, so call it once on a context before <c>mlContext.Model.Load</c> of a pipeline
    /// that contains an OnnxKit model.
    /// </summary>
    public static OnnxKitCatalog OnnxKit(this MLContext mlContext) => new(mlContext);
}

/// <summary>Estimators that put OnnxKit models into ML.NET pipelines.</summary>
public sealed class OnnxKitCatalog
{
    private readonly MLContext _ml;

    internal OnnxKitCatalog(MLContext ml)
    {
        _ml = ml ?? throw new ArgumentNullException(nameof(ml));
        // Saved pipelines refer to OnnxKit's row mapping by contract name; the loading context must know this assembly.
        ml.ComponentCatalog.RegisterAssembly(typeof(ScoreRowMapping).Assembly);
    }

    /// <summary>
    /// Scores an OnnxKit (or any single-input float) ONNX model file: the feature column feeds the model's input
    /// (normalised per its <c>normalization</c> metadata), the output becomes the score columns and, for classifiers,
    /// a <c>PredictedLabel</c> key whose values are the model's <c>labels</c> metadata.
    /// </summary>
    public OnnxKitScoringEstimator ScoreModel(string modelPath, ScoringColumns? columns = null) =>
        ScoreModel(IR.OnnxModel.Load(modelPath), columns, $"model '{modelPath}'");

    /// <summary>Scores an in-memory model; see <see cref="ScoreModel(string, ScoringColumns?)"/>.</summary>
    public OnnxKitScoringEstimator ScoreModel(IR.OnnxModel model, ScoringColumns? columns = null, string? name = null)
    {
        columns ??= new ScoringColumns();
        return new OnnxKitScoringEstimator(_ml, ScoringGraph.Build(model, columns, name ?? $"model '{model.Graph.Name}'"), columns);
    }

    /// <summary>
    /// Trains <paramref name="network"/> with <paramref name="loss"/> and <paramref name="optimizer"/> for
    /// <paramref name="epochs"/> on the pipeline's feature and label columns; the result scores with ONNX Runtime
    /// inside ML.NET and saves with <c>mlContext.Model.Save</c> (the ONNX model embedded).
    /// </summary>
    public OnnxKitTrainingEstimator Train(Module network, Loss loss, Optimizer optimizer, int epochs = 10, OnnxKitTrainerOptions? options = null) =>
        new(_ml, network, loss, optimizer, epochs, options ?? new OnnxKitTrainerOptions());
}
