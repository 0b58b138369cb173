using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

[TestClass]
public sealed class LayersDropoutEmbeddingTests
{
    [TestMethod]
    public void DropoutIsTheIdentityInInference()
    {
        var model = LayersTesting.OneLayer(new Dropout(0.5), [3, 4]);
        Assert.IsFalse(model.Graph.Nodes.Any(n => n.OpType == "Dropout"), "an inference graph should hold no Dropout node");
        var x = LayersTesting.Randn(7, [3, 4]);
        CollectionAssert.AreEqual(x, OrtRun.Run(model, HostTensor.F32("x", x, 3, 4))["y"].Floats);
    }

    [TestMethod]
    public void DropoutInTrainingZeroesAboutPAndScalesSurvivors()
    {
        const double p = 0.3;
        long n = 200_000;
        var model = LayersTesting.OneLayer(new Dropout(p), [n], training: true);
        var x = Enumerable.Range(0, (int)n).Select(i => 1f + (i % 7)).ToArray();
        var y = OrtRun.Run(model, HostTensor.F32("x", x, n))["y"].Floats;
        int zeros = 0;
        for (int i = 0; i < n; i++)
        {
            if (y[i] == 0) { zeros++; continue; }
            Assert.AreEqual(x[i] / (1 - p), y[i], 1e-5, $"survivor {i} not scaled by 1/(1-p)");
        }
        // Zero count ~ Binomial(n, p): σ = √(n·p·(1−p)) ≈ 205; allow 6σ.
        double sigma = Math.Sqrt(n * p * (1 - p));
        Assert.AreEqual(n * p, zeros, 6 * sigma, $"{zeros} zeros of {n}");
    }

    [TestMethod]
    public void EmbeddingMatchesPyTorchAndDrawsItsWeightLikeIt()
    {
        long[] s = [2, 5];
        var idx = new HostTensor("x", ElementType.Int64, s, new long[] { 0, 3, 9, 3, 1, 7, 0, 2, 9, 5 });
        OnnxModel Graph(Embedding e)
        {
            var g = new GraphBuilder("emb");
            g.Output(e.Call(g.Input("x", ElementType.Int64, "N", 5)), "y");
            return LayersTesting.Finish(g);
        }
        var plain = new Embedding(10, 4);
        var padded = new Embedding(10, 4, paddingIdx: -1);
        new TorchCheck()
            .Add("embedding", Graph(plain), "nn.Embedding(10, 4)", [idx])
            .Add("embedding_padding", Graph(padded), "nn.Embedding(10, 4, padding_idx=-1)", [idx])
            .Run();
        Assert.AreEqual(9L, padded.PaddingIdx);
        Assert.IsTrue(padded.Weight.Data.Skip(36).Take(4).All(v => v == 0), "padding row 9 must be zero");
        // N(0, 1): over 40 000 draws the mean is within ±0.03 and the std within ±0.03 of 1 (> 5σ margins).
        var big = new Embedding(10_000, 4).Weight.Data;
        double mean = big.Average(), std = Math.Sqrt(big.Select(v => (v - mean) * (v - mean)).Average());
        Assert.AreEqual(0, mean, 0.03); Assert.AreEqual(1, std, 0.03);
    }
}
