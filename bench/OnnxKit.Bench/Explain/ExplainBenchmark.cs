using System.Diagnostics;
using OnnxKit.Explain;
using OnnxKit.IR;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Data;
using OnnxKit.Zoo;
using OnnxKit.Bench.Shared;

namespace OnnxKit.Bench.Explain;

/// <summary>
/// <c>explain</c>: Integrated Gradients (64 points) per image for the shipped CNN and resnet-small in process; the shipped
/// CNN's IG completeness error (128 points) over test images; and the model-randomisation sanity check (Adebayo et al.,
/// 2018): Spearman rank correlation between the attributions of the trained CNN and of the CNN with random weights.
/// </summary>
public sealed class ExplainBenchmark : IBenchmark
{
    public string Name => "explain";
    public string Description => "IG per image (CNN, resnet-small), IG completeness and the model-randomisation check on the shipped CNN";

    public int Run(string[] args)
    {
        int images = args.Length > 0 ? int.Parse(args[0]) : 100;
        var test = Datasets.FashionMnist(download: false).Test;
        float[] Sample(int k) => test.Features.AsSpan(k * 784, 784).ToArray();
        var cnn = OnnxModel.Load(Path.Combine(Env.RepoRoot, "models", "fashion-cnn", "1", "model.onnx"));
        var resnet = TrainingArtifacts.BuildInference(ModelZoo.Create("resnet-small", [1, 28, 28], 10, 0), new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 1, 28, 28)));

        foreach (var (name, model) in new[] { ("cnn", cnn), ("resnet-small", resnet) })
        {
            using var e = new Explainer(model);
            e.Explain(Sample(0), new ExplainOptions { Steps = 64 }); // builds the graph and its session
            var times = new List<double>();
            for (int k = 0; k < 20; k++)
            {
                var sw = Stopwatch.StartNew();
                e.Explain(Sample(k), new ExplainOptions { Steps = 64 });
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"ig64 {name}: median {times[times.Count / 2]:F1} ms per image (20 images)");
        }

        using (var e = new Explainer(cnn))
            foreach (var rule in Enum.GetValues<IntegrationRule>()) Console.WriteLine(CompletenessBenchmark.Report(e, images, 128, rule));

        var randomised = Randomise(cnn);
        using var trained = new Explainer(cnn);
        using var random = new Explainer(randomised);
        foreach (var method in Enum.GetValues<AttributionMethod>())
        {
            var signed = new List<double>();
            var magnitude = new List<double>();
            for (int k = 0; k < 20; k++)
            {
                // The same target for both models: the trained model's prediction.
                var a = trained.Explain(Sample(k), new ExplainOptions { Method = method, Steps = 64 });
                var b = random.Explain(Sample(k), new ExplainOptions { Method = method, Steps = 64, Target = a.Target });
                signed.Add(Spearman(a.Values, b.Values));
                magnitude.Add(Spearman(a.Values.Select(MathF.Abs).ToArray(), b.Values.Select(MathF.Abs).ToArray()));
            }
            Console.WriteLine($"randomisation {method}: Spearman mean {signed.Average():F3} (|attr| {magnitude.Average():F3}) over 20 images");
        }
        return 0;
    }

    // Every weight replaced by a Gaussian of the same layer's standard deviation (the cascade's last step: all layers).
    private static OnnxModel Randomise(OnnxModel model)
    {
        var copy = OnnxModel.FromBytes(model.ToBytes());
        var random = new Random(1);
        foreach (var init in copy.Graph.Initializers.Where(i => i.ElementType == ElementType.Float32 && i.ElementCount > 1))
        {
            var values = TensorData.ToFloatArray(init.Proto);
            double mean = values.Average(v => (double)v), std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
            var fresh = values.Select(_ => (float)(std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();
            var proto = TensorData.FromFloats(init.Name, fresh, init.Dims);
            init.Proto.RawData = proto.RawData;
            init.Proto.FloatData.Clear();
            init.Proto.FloatData.AddRange(proto.FloatData);
        }
        return copy;
    }

    private static double Spearman(float[] a, float[] b)
    {
        double[] ra = Ranks(a), rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average(), num = 0, da = 0, db = 0;
        for (int i = 0; i < ra.Length; i++) { num += (ra[i] - ma) * (rb[i] - mb); da += (ra[i] - ma) * (ra[i] - ma); db += (rb[i] - mb) * (rb[i] - mb); }
        return da == 0 || db == 0 ? 0 : num / Math.Sqrt(da * db);
    }

    // Average ranks for ties (the zero attributions of an empty background are many).
    private static double[] Ranks(float[] v)
    {
        var order = Enumerable.Range(0, v.Length).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Length];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0;
            i = j + 1;
        }
        return ranks;
    }
}
