using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Data;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using OnnxKit.Training.Optimizers;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using MetricCatalog = OnnxKit.Metrics;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Trainer.Functional;

/// <summary>
/// A functional model of two inputs (float features, int64 tokens into an Embedding) and two outputs (3-class logits and a
/// regression score), trained with a loss per output and weights: loss and gradients against PyTorch autograd on the same
/// weights, training, per-output metrics, the exported model's interface, and the errors for data that does not fit.
/// </summary>
[TestClass]
public sealed class FunctionalTrainingTests
{
    private const int Features = 4, Tokens = 6, Vocabulary = 20;
    private const double ScoreWeight = 0.5;

    private static FunctionalModel TwoByTwo()
    {
        var embed = new Embedding(Vocabulary, 5);
        var body = new Dense(8, Activation.Tanh);
        var cls = new Dense(3);
        var reg = new Dense(1);
        return new FunctionalModel(
            [ModelInput.Float32("features", Features), ModelInput.Int64("tokens", Tokens)], ["class", "score"],
            [("embed", embed), ("body", body), ("cls", cls), ("reg", reg)],
            x =>
            {
                var h = body.Call(Op.Concat(1, x["features"], Op.ReduceMean(embed.Call(x["tokens"]), [1], keepDims: false)));
                return new Dictionary<string, Value> { ["class"] = cls.Call(h), ["score"] = reg.Call(h) };
            }) { Seed = 3 };
    }

    // The class counts the tokens below half the vocabulary (what a mean of embeddings sees); the score is linear in the features.
    private static NamedDataset Data(int n, int seed)
    {
        var rng = new Random(seed);
        var f = new float[n * Features]; var t = new long[n * Tokens]; var y = new long[n]; var s = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < Features; k++) f[i * Features + k] = (float)(rng.NextDouble() * 2 - 1);
            for (int k = 0; k < Tokens; k++) t[i * Tokens + k] = rng.Next(Vocabulary);
            int low = Enumerable.Range(0, Tokens).Count(k => t[i * Tokens + k] < Vocabulary / 2);
            y[i] = low <= 2 ? 0 : low == 3 ? 1 : 2;
            s[i] = f[i * Features] - 0.5f * f[i * Features + 1];
        }
        return new NamedDataset(new Dictionary<string, NamedArray>
        {
            ["features"] = NamedArray.Float32(f, Features), ["tokens"] = NamedArray.Int64(t, Tokens),
            ["class"] = NamedArray.Int64(y), ["score"] = NamedArray.Float32(s, 1),
        }, "two-by-two");
    }

    private static Learner Compile(FunctionalModel model, Optimizer optimizer, Metric[]? classMetrics = null, Metric[]? scoreMetrics = null,
                                   TrainingSessionOptions? sessionOptions = null) =>
        new(model, optimizer,
            new Dictionary<string, Loss> { ["class"] = LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true), ["score"] = LossCatalog.MeanSquaredError() },
            new Dictionary<string, double> { ["score"] = ScoreWeight },
            new Dictionary<string, IReadOnlyList<Metric>> { ["class"] = classMetrics ?? [], ["score"] = scoreMetrics ?? [] }, sessionOptions);

    private const string TorchReference = """
        import json, sys, torch
        import torch.nn.functional as F
        d = json.load(open(sys.argv[1]))
        P = {k: torch.tensor(v['data'], dtype=torch.float64).reshape(v['shape']).requires_grad_() for k, v in d['params'].items()}
        f = torch.tensor(d['features'], dtype=torch.float64).reshape(-1, 4)
        t = torch.tensor(d['tokens']).reshape(-1, 6)
        y = torch.tensor(d['class'])
        s = torch.tensor(d['score'], dtype=torch.float64).reshape(-1, 1)
        h = torch.tanh(F.linear(torch.cat([f, F.embedding(t, P['embed.weight']).mean(1)], 1), P['body.weight'], P['body.bias']))
        logits = F.linear(h, P['cls.weight'], P['cls.bias']); score = F.linear(h, P['reg.weight'], P['reg.bias'])
        loss = F.cross_entropy(logits, y) + d['weight'] * F.mse_loss(score, s)
        loss.backward()
        print(json.dumps({'loss': loss.item(), 'class': logits.flatten().tolist(), 'score': score.flatten().tolist(),
                          'grads': {k: p.grad.flatten().tolist() for k, p in P.items()}}))
        """;

    [TestMethod]
    public void WeightedLossOutputsAndGradientsMatchPyTorchAutograd()
    {
        Python.Require("torch");
        const int n = 16;
        var data = Data(n, seed: 1);
        using var learner = Compile(TwoByTwo(), OptimizerCatalog.Sgd(1.0), [MetricCatalog.Accuracy], [MetricCatalog.MeanAbsoluteError]);
        var before = learner.Evaluate(data);
        var predicted = learner.Predict(data);
        var parameters = learner.Model.Parameters().Select(p => p.FullName).ToHashSet();
        var initial = learner.Session!.State().Where(kv => parameters.Contains(kv.Key)).ToDictionary();
        // One full-batch SGD step at learning rate 1: the parameters move by minus the gradient.
        var history = learner.Fit(data, new FitOptions { Epochs = 1, BatchSize = n, Shuffle = false });
        var after = learner.Session.State();

        string input = Path.GetTempFileName(), script = Path.GetTempFileName() + ".py";
        try
        {
            File.WriteAllText(input, JsonSerializer.Serialize(new
            {
                @params = initial.ToDictionary(kv => kv.Key, kv => new { shape = kv.Value.Shape, data = kv.Value.ToFloats() }),
                features = (float[])data["features"].Data, tokens = (long[])data["tokens"].Data, @class = (long[])data["class"].Data,
                score = (float[])data["score"].Data, weight = ScoreWeight,
            }));
            File.WriteAllText(script, TorchReference);
            using var reference = JsonDocument.Parse(Python.RunScript(script, input));
            var r = reference.RootElement;
            double loss = r.GetProperty("loss").GetDouble();
            Assert.AreEqual(loss, before.Loss, 1e-5, "Evaluate's weighted loss");
            Assert.AreEqual(loss, history.Epochs[0].TrainLoss, 1e-5, "the train step's weighted loss");
            Compare(r.GetProperty("class"), predicted["class"], 1e-5, "class logits");
            Compare(r.GetProperty("score"), predicted["score"], 1e-5, "score");
            foreach (var g in r.GetProperty("grads").EnumerateObject())
            {
                var p0 = initial[g.Name].ToFloats(); var p1 = after[g.Name].ToFloats();
                Compare(g.Value, p0.Zip(p1, (a, b) => a - b).ToArray(), 2e-5, $"gradient of {g.Name}");
            }
            // The per-output metrics, from PyTorch's outputs: accuracy of the logits' arg-max, mean absolute error of the score.
            var logits = r.GetProperty("class").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var labels = (long[])data["class"].Data; var scores = (float[])data["score"].Data;
            double accuracy = Enumerable.Range(0, n).Count(i => ArgMax(logits.AsSpan(i * 3, 3)) == labels[i]) / (double)n;
            double mae = r.GetProperty("score").EnumerateArray().Select((e, i) => Math.Abs(e.GetDouble() - scores[i])).Average();
            Assert.AreEqual(accuracy, before.Metrics["class_accuracy"], 1e-9);
            Assert.AreEqual(mae, before.Metrics["score_mae"], 1e-5);
        }
        finally { File.Delete(input); File.Delete(script); }
    }

    [TestMethod]
    public void FitReducesTheWeightedLossAndReportsMetricsPerOutput()
    {
        var train = Data(256, seed: 2);
        using var learner = Compile(TwoByTwo(), OptimizerCatalog.Adam(0.02), [MetricCatalog.Accuracy], [MetricCatalog.MeanAbsoluteError]);
        var before = learner.Evaluate(train);
        var history = learner.Fit(train, new FitOptions { Epochs = 30, BatchSize = 32, Seed = 1 }, validation: Data(64, seed: 3));
        var after = learner.Evaluate(train);
        Assert.IsTrue(after.Loss < 0.4 * before.Loss, $"weighted loss {before.Loss} → {after.Loss}");
        Assert.IsTrue(after.Metrics["class_accuracy"] > 0.85, $"class accuracy {after.Metrics["class_accuracy"]}");
        Assert.IsTrue(after.Metrics["score_mae"] < 0.5 * before.Metrics["score_mae"], $"score MAE {before.Metrics["score_mae"]} → {after.Metrics["score_mae"]}");
        var last = history.Epochs[^1];
        CollectionAssert.AreEquivalent(new[] { "class_accuracy", "score_mae" }, last.TrainMetrics.Keys.ToArray());
        CollectionAssert.AreEquivalent(new[] { "class_accuracy", "score_mae" }, last.ValMetrics.Keys.ToArray());
        Assert.IsNotNull(last.ValLoss);
    }

    [TestMethod]
    public void ExportKeepsBothInputsAndOutputsWithTheirNamesAndTypes()
    {
        var data = Data(32, seed: 4);
        using var learner = Compile(TwoByTwo(), OptimizerCatalog.Adam(0.01));
        learner.Fit(data, new FitOptions { Epochs = 2, BatchSize = 16 });
        string path = Path.Combine(Path.GetTempPath(), $"functional-{Guid.NewGuid():N}.onnx");
        try
        {
            learner.Export(path);
            using (var session = new InferenceSession(path))
            {
                CollectionAssert.AreEqual(new[] { "features", "tokens" }, session.InputNames.ToArray());
                CollectionAssert.AreEqual(new[] { "class", "score" }, session.OutputNames.ToArray());
                Assert.AreEqual(TensorElementType.Float, session.InputMetadata["features"].ElementDataType);
                Assert.AreEqual(TensorElementType.Int64, session.InputMetadata["tokens"].ElementDataType);
                CollectionAssert.AreEqual(new[] { -1, Tokens }, session.InputMetadata["tokens"].Dimensions);
            }
            var outputs = OrtRun.RunFile(path, HostTensor.F32("features", (float[])data["features"].Data, 32, Features),
                HostTensor.I64("tokens", (long[])data["tokens"].Data, 32, Tokens));
            var predicted = learner.Predict(data);
            CollectionAssert.AreEqual(new long[] { 32, 3 }, outputs["class"].Shape);
            for (int i = 0; i < predicted["class"].Length; i++) Assert.AreEqual(predicted["class"][i], outputs["class"].Floats[i], 1e-5f);
            for (int i = 0; i < predicted["score"].Length; i++) Assert.AreEqual(predicted["score"][i], outputs["score"].Floats[i], 1e-5f);
            if (Python.Has("onnx"))
            {
                var (code, stdout, stderr) = Python.RunCode($"import onnx; m = onnx.load('{path}'); onnx.checker.check_model(m); " +
                    "print(';'.join(f'{v.name}:{v.type.tensor_type.elem_type}' for v in list(m.graph.input) + list(m.graph.output)))");
                Assert.AreEqual(0, code, stderr);
                Assert.AreEqual("features:1;tokens:7;class:1;score:1", stdout.Trim());
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void DataThatDoesNotFitTheModelIsRefusedNamingWhatWasExpected()
    {
        var data = Data(8, seed: 5);
        using var learner = Compile(TwoByTwo(), OptimizerCatalog.Adam(0.01));
        var noTokens = new NamedDataset(data.Arrays.Where(a => a.Key != "tokens").ToDictionary(), "no-tokens");
        var e = Assert.ThrowsExactly<ArgumentException>(() => learner.Fit(noTokens));
        StringAssert.Contains(e.Message, "no array 'tokens' for input 'tokens' (int64 [6])");

        var floatTokens = new NamedDataset(new Dictionary<string, NamedArray>(data.Arrays)
            { ["tokens"] = NamedArray.Float32(((long[])data["tokens"].Data).Select(v => (float)v).ToArray(), Tokens) }, "float-tokens");
        e = Assert.ThrowsExactly<ArgumentException>(() => learner.Evaluate(floatTokens));
        StringAssert.Contains(e.Message, "array 'tokens' is float [6], expected int64 [6] for input 'tokens'");

        var floatLabels = new NamedDataset(new Dictionary<string, NamedArray>(data.Arrays) { ["class"] = NamedArray.Float32(new float[8]) }, "float-labels");
        e = Assert.ThrowsExactly<ArgumentException>(() => learner.Fit(floatLabels));
        StringAssert.Contains(e.Message, "array 'class' is float [], expected int64 [] for the targets of output 'class'");

        e = Assert.ThrowsExactly<ArgumentException>(() => new NamedDataset(new Dictionary<string, NamedArray>
            { ["features"] = NamedArray.Float32(new float[3 * Features], Features), ["tokens"] = NamedArray.Int64(new long[2 * Tokens], Tokens) }));
        StringAssert.Contains(e.Message, "'features' 3, 'tokens' 2");

        e = Assert.ThrowsExactly<ArgumentException>(() => new Learner(TwoByTwo(), OptimizerCatalog.Adam(),
            new Dictionary<string, Loss> { ["klass"] = LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true) }));
        StringAssert.Contains(e.Message, "a loss is given for output 'klass', but the model's outputs are [class, score]");

        e = Assert.ThrowsExactly<ArgumentException>(() => new Learner(TwoByTwo(), OptimizerCatalog.Adam(),
            new Dictionary<string, Loss> { ["class"] = LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true) },
            metrics: new Dictionary<string, IReadOnlyList<Metric>> { ["score"] = [MetricCatalog.MeanAbsoluteError] }));
        StringAssert.Contains(e.Message, "metrics for output 'score' need its targets");

        var single = new TensorDataset(new float[8 * Features], [Features], new long[8]);
        var ioe = Assert.ThrowsExactly<InvalidOperationException>(() => learner.Fit(single));
        StringAssert.Contains(ioe.Message, "named inputs [features, tokens]");
    }

    [TestMethod]
    public void StepsSplitOverThreadsOrMicroBatchesAreRefusedForNamedInputs()
    {
        var data = Data(8, seed: 5);
        using var threaded = Compile(TwoByTwo(), OptimizerCatalog.Adam(0.01), sessionOptions: new TrainingSessionOptions { BatchThreads = 2 });
        var e = Assert.ThrowsExactly<NotSupportedException>(() => threaded.Fit(data, new FitOptions { Epochs = 1, BatchSize = 4 }));
        StringAssert.Contains(e.Message, "BatchThreads 2");
        using var accumulated = Compile(TwoByTwo(), OptimizerCatalog.Adam(0.01));
        e = Assert.ThrowsExactly<NotSupportedException>(() => accumulated.Fit(data, new FitOptions { Epochs = 1, BatchSize = 4, AccumulateSteps = 2 }));
        StringAssert.Contains(e.Message, "AccumulateSteps 2");
    }

    [TestMethod]
    public void AModelThatDoesNotKeepItsDeclarationIsRefusedNamingTheDifference()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new FunctionalModel(
            [ModelInput.Float32("a", 2), ModelInput.Int64("a", 3)], ["y"], [], x => x));
        StringAssert.Contains(e.Message, "input name 'a' is given twice");

        var head = new Dense(3);
        var oneOfTwo = new FunctionalModel([ModelInput.Float32("features", Features)], ["class", "score"], [("head", head)],
            x => new Dictionary<string, Value> { ["class"] = head.Call(x["features"]) });
        using var learner = new Learner(oneOfTwo, OptimizerCatalog.Adam(),
            new Dictionary<string, Loss> { ["class"] = LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true) });
        var data = new NamedDataset(new Dictionary<string, NamedArray> { ["features"] = NamedArray.Float32(new float[4 * Features], Features), ["class"] = NamedArray.Int64(new long[4]) });
        var ioe = Assert.ThrowsExactly<InvalidOperationException>(() => learner.Fit(data));
        StringAssert.Contains(ioe.Message, "returned no output 'score'; it returned [class], the model declares [class, score]");
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    private static void Compare(JsonElement expected, float[] actual, double tolerance, string what)
    {
        var e = expected.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.AreEqual(e.Length, actual.Length, $"{what}: length");
        for (int i = 0; i < e.Length; i++)
            Assert.AreEqual(e[i], actual[i], tolerance * (1 + Math.Abs(e[i])), $"{what}[{i.ToString(CultureInfo.InvariantCulture)}]");
    }
}
