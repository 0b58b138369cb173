using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using OnnxKit.Inference;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Interop.MLNet;

/// <summary>
/// Trains an OnnxKit network as one step of an ML.NET pipeline: reads the feature and label columns, trains with the
/// OnnxKit <see cref="Learner"/> (ONNX train-step graphs on ONNX Runtime), exports the inference model and returns an
/// <see cref="OnnxKitTransformer"/> that scores it with ML.NET's <c>OnnxTransformer</c>. The label column's type picks
/// the task: a key → multiclass (<c>Score</c>, <c>PredictedLabel</c> key with the same values), a Boolean → binary
/// (<c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>), a <see cref="float"/> → regression (<c>Score</c>).
/// </summary>
public sealed class OnnxKitTrainingEstimator : IEstimator<OnnxKitTransformer>
{
    private readonly MLContext _ml;

    /// <summary>The network (its parameters hold the trained weights after <see cref="Fit"/>).</summary>
    public Module Network { get; }
    /// <summary>What training minimises, between the network's output and the label column.</summary>
    public Loss Loss { get; }
    /// <summary>The update rule, compiled into the training step graph.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>Epochs of training.</summary>
    public int Epochs { get; }
    /// <summary>Column names, batch size, seed and the other settings of the run.</summary>
    public OnnxKitTrainerOptions Options { get; }

    internal OnnxKitTrainingEstimator(MLContext ml, Module network, Loss loss, Optimizer optimizer, int epochs, OnnxKitTrainerOptions options)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "epochs must be at least 1");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1");
        _ml = ml; Network = network; Loss = loss; Optimizer = optimizer; Epochs = epochs; Options = options;
    }

    /// <inheritdoc/>
    public OnnxKitTransformer Fit(IDataView input)
    {
        var kind = DataViewReader.Inspect(input.Schema, Options.LabelColumnName);
        int[] sampleShape = SampleShape(input.Schema);
        var data = DataViewReader.Read(input, Options.FeatureColumnName, Options.LabelColumnName, kind, sampleShape);
        using var learner = new Learner(Network, Optimizer, Loss);
        if (kind.Task != ScoringTask.Regression) learner.Metadata[ModelInfo.LabelsKey] = JsonSerializer.Serialize(kind.Labels);
        var history = learner.Fit(data, new FitOptions { Epochs = Epochs, BatchSize = Options.BatchSize, Seed = Options.Seed });
        learner.WriteBackParameters();
        var inputType = new TensorType(ElementType.Float32, new Shape([Dim.Sym("batch"), .. sampleShape.Select(d => Dim.Of(d))]));
        var model = TrainingArtifacts.BuildInference(Network, inputType, new TrainingArtifacts.Options { Metadata = learner.Metadata });
        var columns = Columns(kind.Task);
        var graph = ScoringGraph.Build(model, columns, "the trained network");
        return new OnnxKitScoringEstimator(_ml, graph, columns, history).Fit(input);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        int? size = Options.SampleShape?.Aggregate(1, (a, b) => a * b);
        SchemaChecks.RequireFeatures(inputSchema, Options.FeatureColumnName, size);
        if (SchemaChecks.FindColumn(inputSchema, Options.LabelColumnName) is not { } label)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find label column '{Options.LabelColumnName}' (expected Key<UInt32>, Boolean or Single)");
        var task = label.IsKey ? ScoringTask.Multiclass
            : label.ItemType == BooleanDataViewType.Instance ? ScoringTask.Binary
            : label.ItemType == NumberDataViewType.Single && label.Kind == SchemaShape.Column.VectorKind.Scalar ? ScoringTask.Regression
            : throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for label column '{Options.LabelColumnName}': expected Key<UInt32>, Boolean or Single, got {SchemaChecks.Describe(label)}");
        // SchemaShape cannot be built outside ML.NET: built-in estimators that add columns of the same kinds
        // (a float vector, a copy of the key or Boolean label, a float scalar) describe the output.
        var columns = Columns(task);
        var t = _ml.Transforms;
        IEstimator<ITransformer> shape = task switch
        {
            ScoringTask.Multiclass => t.Concatenate(columns.ScoreColumnName, Options.FeatureColumnName)
                .Append(t.CopyColumns(columns.PredictedLabelColumnName, Options.LabelColumnName)),
            ScoringTask.Binary => t.Conversion.ConvertType(columns.ScoreColumnName, Options.LabelColumnName, DataKind.Single)
                .Append(t.Conversion.ConvertType(columns.ProbabilityColumnName, Options.LabelColumnName, DataKind.Single))
                .Append(t.CopyColumns(columns.PredictedLabelColumnName, Options.LabelColumnName)),
            _ => t.CopyColumns(columns.ScoreColumnName, Options.LabelColumnName),
        };
        return shape.GetOutputSchema(inputSchema);
    }

    private int[] SampleShape(DataViewSchema schema)
    {
        var col = SchemaChecks.Find(schema, Options.FeatureColumnName, "feature", "Vector<Single> of known size");
        if (col.Type is not VectorDataViewType v || v.ItemType != NumberDataViewType.Single || !v.IsKnownSize)
            throw SchemaChecks.Mismatch(Options.FeatureColumnName, "feature", "Vector<Single> of known size", col.Type);
        if (Options.SampleShape is null) return [v.Size];
        int size = Options.SampleShape.Aggregate(1, (a, b) => a * b);
        if (size != v.Size)
            throw SchemaChecks.Mismatch(Options.FeatureColumnName, "feature", $"Vector<Single, {size}> (sample shape [{string.Join(", ", Options.SampleShape)}])", col.Type);
        return [.. Options.SampleShape];
    }

    private ScoringColumns Columns(ScoringTask task) => new()
    {
        FeatureColumnName = Options.FeatureColumnName, ScoreColumnName = Options.ScoreColumnName,
        PredictedLabelColumnName = Options.PredictedLabelColumnName, ProbabilityColumnName = Options.ProbabilityColumnName,
        Task = task, OutputsAreLogits = Options.OutputsAreLogits, SoftmaxScore = Options.OutputsAreLogits,
    };
}
