using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using OnnxKit.Interop.MLNet;

namespace OnnxKit.Samples.TabularMLNet;




/// <summary>Test-set metrics of one trainer.</summary>
/// <param name="Name">The trainer.</param>
/// <param name="Accuracy">Accuracy.</param>
/// <param name="Auc">Area under the ROC curve.</param>
/// <param name="F1">F1 score of the positive class.</param>
/// <param name="Seconds">Time to fit the pipeline.</param>
public sealed record TrainerResult(string Name, double Accuracy, double Auc, double F1, double Seconds);

/// <summary>The OnnxKit MLP's settings: one hidden ReLU layer, Adam, batches of <see cref="BatchSize"/>.</summary>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Epochs">Epochs.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="BatchSize">Samples per batch.</param>
public sealed record MlpSettings(int Hidden = 16, int Epochs = 100, double LearningRate = 1e-3, int BatchSize = 16);

/// <summary>
/// The sample's core: Breast Cancer Wisconsin (Diagnostic) loaded with <c>LoadFromTextFile</c>, one fixed 70/30 split,
/// <c>NormalizeMeanVariance</c>, then an OnnxKit MLP trained inside the ML.NET pipeline, and two ML.NET built-in
/// trainers (SDCA logistic regression, FastTree) on the same split, all scored with
/// <c>BinaryClassification.Evaluate</c>.
/// </summary>
public static class BreastCancerComparison
{
    /// <summary>The data file, relative to the repository root.</summary>
    public static readonly string DataFile = Path.Combine("data", "breast-cancer", "wdbc.csv");

    /// <summary>
    /// Runs the pipelines on the split drawn with <paramref name="seed"/> (which also seeds the MLP's weights and data
    /// order): the OnnxKit MLP first, then, unless <paramref name="builtIns"/> is false, SDCA and FastTree.
    /// </summary>
    public static IReadOnlyList<TrainerResult> Run(string csvPath, int seed = 1, bool builtIns = true, MlpSettings? mlp = null)
    {
        mlp ??= new MlpSettings();
        var ml = new MLContext(seed);
        var split = ml.Data.TrainTestSplit(Load(ml, csvPath), testFraction: 0.3, seed: seed);
        var normalize = ml.Transforms.NormalizeMeanVariance("Features");
        var onnxKit = MlpTrainer(ml, seed, mlp);
        var sdca = ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options { NumberOfThreads = 1 });
        var fastTree = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options { NumberOfThreads = 1 });

        var mine = Evaluate(ml, $"OnnxKit MLP (30-{mlp.Hidden}-2, Adam, {mlp.Epochs} epochs)", normalize.Append(onnxKit), split);
        if (!builtIns) return [mine];
        return
        [
            mine,
            Evaluate(ml, "ML.NET SDCA logistic regression", normalize.Append(sdca), split),
            Evaluate(ml, "ML.NET FastTree (100 trees)", normalize.Append(fastTree), split),
        ];
    }

    /// <summary>
    /// The deployment half of the sample: trains the OnnxKit pipeline (normaliser + MLP) on the split's training part,
    /// saves it as an ML.NET model file (the ONNX model travels inside it), and returns the probability of every row of
    /// the CSV as scored in this process. <see cref="ScoreSaved"/> scores the file again, typically in another process.
    /// </summary>
    public static float[] TrainAndSave(string csvPath, string modelPath, int seed = 1, MlpSettings? mlp = null)
    {
        var ml = new MLContext(seed);
        var data = Load(ml, csvPath);
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.3, seed: seed);
        var model = ml.Transforms.NormalizeMeanVariance("Features").Append(MlpTrainer(ml, seed, mlp ?? new MlpSettings())).Fit(split.TrainSet);
        ml.Model.Save(model, data.Schema, modelPath);
        return model.Transform(data).GetColumn<float>("Probability").ToArray();
    }

    /// <summary>
    /// Loads a model saved by <see cref="TrainAndSave"/> in a new <see cref="MLContext"/> (with <c>OnnxKit()</c> called on
    /// it, which registers the score mapping the saved pipeline names) and returns (probability, predicted label) for
    /// every row of the CSV.
    /// </summary>
    public static (float Probability, bool Predicted)[] ScoreSaved(string modelPath, string csvPath)
    {
        var ml = new MLContext();
        ml.OnnxKit();
        var model = ml.Model.Load(modelPath, out _);
        var scored = model.Transform(Load(ml, csvPath));
        return scored.GetColumn<float>("Probability").Zip(scored.GetColumn<bool>("PredictedLabel")).ToArray();
    }

    private static IDataView Load(MLContext ml, string csvPath) => ml.Data.LoadFromTextFile(csvPath, [
        new TextLoader.Column("Features", DataKind.Single, 0, 29),
        new TextLoader.Column("Label", DataKind.Boolean, 30),
    ], separatorChar: ',', hasHeader: true);

    private static OnnxKitTrainingEstimator MlpTrainer(MLContext ml, int seed, MlpSettings mlp)
    {
        var network = new Sequential(new Dense(mlp.Hidden, Activation.Relu), new Dense(2)) { Seed = seed };
        return ml.OnnxKit().Train(network, Losses.SparseCategoricalCrossEntropy(fromLogits: true), Optimizers.Adam(mlp.LearningRate), epochs: mlp.Epochs,
            new OnnxKitTrainerOptions { BatchSize = mlp.BatchSize, Seed = seed });
    }

    private static TrainerResult Evaluate<T>(MLContext ml, string name, IEstimator<T> pipeline, DataOperationsCatalog.TrainTestData split) where T : class, ITransformer
    {
        var sw = Stopwatch.StartNew();
        var model = pipeline.Fit(split.TrainSet);
        double seconds = sw.Elapsed.TotalSeconds;
        var m = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
        return new TrainerResult(name, m.Accuracy, m.AreaUnderRocCurve, m.F1Score, seconds);
    }
}
