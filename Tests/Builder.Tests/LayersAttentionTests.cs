using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>
/// Attention and Transformer blocks against PyTorch. Tolerance 1e-5 as for the other layers: measured errors are
/// around 1e-6 (softmax and two LayerNorms over unit-scale inputs keep float32 rounding small).
/// </summary>
[TestClass]
public sealed class LayersAttentionTests
{
    // The zero-initialised biases get random values so that bias slicing is exercised.
    private static void RandomizeBiases(Module m, int seed)
    {
        foreach (var p in m.Parameters().Where(p => p.Name.EndsWith("bias")))
            p.Data = LayersTesting.Randn(seed++, p.Shape, 0.3f);
    }

    private static HostTensor F(string name, int seed, params long[] shape) => HostTensor.F32(name, LayersTesting.Randn(seed, shape), shape);
    private static HostTensor Bools(string name, bool[] data, params long[] shape) => new(name, ElementType.Bool, shape, data);

    private static OnnxModel AttentionGraph(MultiHeadAttention mha, long[] q, long[] kv, ElementType? attnMask = null, long[]? maskShape = null, bool keyPadding = false)
    {
        var g = new GraphBuilder("mha");
        var query = g.Input("q", ElementType.Float32, q.Select(Dim.Of).ToArray());
        var key = g.Input("k", ElementType.Float32, kv.Select(Dim.Of).ToArray());
        var value = g.Input("v", ElementType.Float32, kv.Select(Dim.Of).ToArray());
        var am = attnMask is { } t ? g.Input("am", t, maskShape!.Select(Dim.Of).ToArray()) : null;
        var kpm = keyPadding ? g.Input("kpm", ElementType.Bool, "N", "S") : null;
        g.Output(mha.Forward(query, key, value, am, kpm), "y");
        return LayersTesting.Finish(g);
    }

    private static OnnxModel WeightsGraph(MultiHeadAttention mha, long[] q, long[] kv, bool average)
    {
        var g = new GraphBuilder("mha_weights");
        var query = g.Input("q", ElementType.Float32, q.Select(Dim.Of).ToArray());
        var key = g.Input("k", ElementType.Float32, kv.Select(Dim.Of).ToArray());
        var value = g.Input("v", ElementType.Float32, kv.Select(Dim.Of).ToArray());
        var (y, w) = mha.ForwardWithWeights(query, key, value, keyPaddingMask: g.Input("kpm", ElementType.Bool, "N", "S"), averageHeads: average);
        g.Output(y, "y");
        g.Output(w, "w");
        return LayersTesting.Finish(g);
    }

    [TestMethod]
    public void MultiHeadAttentionMatchesPyTorch()
    {
        const long n = 2, l = 3, s = 5, e = 8, h = 2;
        var self = new MultiHeadAttention(e, h);
        RandomizeBiases(self, 1);
        var cross = new MultiHeadAttention(e, h);
        RandomizeBiases(cross, 10);
        var noBias = new MultiHeadAttention(e, 4, bias: false);
        var seqFirst = new MultiHeadAttention(e, h, batchFirst: false);
        RandomizeBiases(seqFirst, 20);
        var threeD = new MultiHeadAttention(e, h);
        // Key padding: sample 0 ignores keys 3, 4; sample 1 key 0 (no row fully masked).
        var kpm = Bools("kpm", [false, false, false, true, true, true, false, false, false, false], n, s);
        // Bool attention mask [L, S]: query i may not see keys > i + 2.
        var boolMask = Bools("am", Enumerable.Range(0, (int)(l * s)).Select(k => k % s > k / s + 2).ToArray(), l, s);
        var floatMask = F("am", 5, l, s);
        var mask3 = F("am", 6, n * h, l, s);
        HostTensor[] Qkv(int seed) => [F("q", seed, n, l, e), F("k", seed + 1, n, s, e), F("v", seed + 2, n, s, e)];
        const string call = "m(q, k, v, need_weights=False{0})[0]";
        new TorchCheck()
            .Add("mha_self", LayersTesting.OneLayer(self, [n, s, e]), "nn.MultiheadAttention(8, 2, batch_first=True)", [F("x", 30, n, s, e)],
                [("y", "m(x, x, x, need_weights=False)[0]")])
            .Add("mha_cross", AttentionGraph(cross, [n, l, e], [n, s, e]), "nn.MultiheadAttention(8, 2, batch_first=True)", Qkv(40), [("y", string.Format(call, ""))])
            .Add("mha_key_padding", AttentionGraph(cross, [n, l, e], [n, s, e], keyPadding: true), "nn.MultiheadAttention(8, 2, batch_first=True)",
                [.. Qkv(50), kpm], [("y", string.Format(call, ", key_padding_mask=kpm"))])
            .Add("mha_bool_mask_and_padding", AttentionGraph(cross, [n, l, e], [n, s, e], ElementType.Bool, [l, s], keyPadding: true), "nn.MultiheadAttention(8, 2, batch_first=True)",
                [.. Qkv(60), boolMask, kpm], [("y", string.Format(call, ", attn_mask=am, key_padding_mask=kpm"))])
            .Add("mha_float_mask_and_padding", AttentionGraph(cross, [n, l, e], [n, s, e], ElementType.Float32, [l, s], keyPadding: true), "nn.MultiheadAttention(8, 2, batch_first=True)",
                [.. Qkv(70), floatMask, kpm], [("y", string.Format(call, ", attn_mask=am, key_padding_mask=kpm"))])
            .Add("mha_3d_mask", AttentionGraph(threeD, [n, l, e], [n, s, e], ElementType.Float32, [n * h, l, s]), "nn.MultiheadAttention(8, 2, batch_first=True)",
                [.. Qkv(80), mask3], [("y", string.Format(call, ", attn_mask=am"))])
            .Add("mha_weights", WeightsGraph(cross, [n, l, e], [n, s, e], average: true), "nn.MultiheadAttention(8, 2, batch_first=True)", [.. Qkv(110), kpm],
                [("y", "m(q, k, v, key_padding_mask=kpm)[0]"), ("w", "m(q, k, v, key_padding_mask=kpm)[1]")])
            .Add("mha_weights_per_head", WeightsGraph(seqFirst, [l, n, e], [s, n, e], average: false), "nn.MultiheadAttention(8, 2)",
                [F("q", 120, l, n, e), F("k", 121, s, n, e), F("v", 122, s, n, e), kpm],
                [("y", "m(q, k, v, key_padding_mask=kpm, average_attn_weights=False)[0]"), ("w", "m(q, k, v, key_padding_mask=kpm, average_attn_weights=False)[1]")])
            .Add("mha_no_bias", AttentionGraph(noBias, [n, l, e], [n, s, e]), "nn.MultiheadAttention(8, 4, bias=False, batch_first=True)", Qkv(90), [("y", string.Format(call, ""))])
            .Add("mha_seq_first", AttentionGraph(seqFirst, [l, n, e], [s, n, e]), "nn.MultiheadAttention(8, 2)",
                [F("q", 100, l, n, e), F("k", 101, s, n, e), F("v", 102, s, n, e)], [("y", string.Format(call, ""))])
            .Run();
    }

    [TestMethod]
    public void MultiHeadAttentionParametersAreDrawnLikePyTorch()
    {
        var mha = new MultiHeadAttention(64, 4);
        // Xavier-uniform on [3E, E]: bound √(6/(E + 3E)) = √(6/256).
        double bound = Math.Sqrt(6.0 / 256);
        var w = mha.InProjWeight.Data;
        Assert.IsTrue(w.All(v => Math.Abs(v) <= bound) && w.Max() > 0.95 * bound, "in_proj_weight not Xavier-uniform");
        Assert.IsTrue(mha.InProjBias!.Data.All(v => v == 0) && mha.OutProj.Bias!.Data.All(v => v == 0), "projection biases must start at zero");
        double linearBound = 1 / Math.Sqrt(64);
        Assert.IsTrue(mha.OutProj.Weight!.Data.All(v => Math.Abs(v) <= linearBound) && mha.OutProj.Weight.Data.Max() > 0.9 * linearBound);
        Assert.ThrowsExactly<ArgumentException>(() => new MultiHeadAttention(10, 3));
    }

    [TestMethod]
    public void TransformerEncoderLayerMatchesPyTorch()
    {
        const long n = 2, l = 6, d = 16;
        OnnxModel Graph(TransformerEncoderLayer layer, bool masks, bool batchFirst = true)
        {
            var g = new GraphBuilder("encoder");
            var x = g.Input("x", ElementType.Float32, batchFirst ? ["N", l, d] : [l, "N", d]);
            Value y = masks
                ? layer.Forward(x, g.Input("mask", ElementType.Bool, l, l), g.Input("kpm", ElementType.Bool, "N", l))
                : layer.Call(x);
            g.Output(y, "y");
            return LayersTesting.Finish(g);
        }
        TransformerEncoderLayer Make(string activation = "relu", bool normFirst = false, bool batchFirst = true)
        {
            var t = new TransformerEncoderLayer(d, 4, dimFeedforward: 32, dropout: 0.1, activation: activation, normFirst: normFirst, batchFirst: batchFirst);
            RandomizeBiases(t, 7);
            foreach (var p in t.Parameters().Where(p => p.FullName.StartsWith("norm") && p.Name == "weight"))
                p.Data = LayersTesting.Randn(3, p.Shape).Select(v => 1 + 0.2f * v).ToArray();
            return t;
        }
        var causal = Bools("mask", Enumerable.Range(0, (int)(l * l)).Select(k => k % l > k / l).ToArray(), l, l);
        var kpm = Bools("kpm", Enumerable.Range(0, (int)(n * l)).Select(k => k == 5 || k == 10 || k == 11).ToArray(), n, l);
        var x = F("x", 200, n, l, d);
        const string torch = "nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.1, batch_first=True{0})";
        new TorchCheck()
            .Add("encoder_post_norm_relu", Graph(Make(), false), string.Format(torch, ""), [x])
            .Add("encoder_pre_norm_gelu", Graph(Make("gelu", normFirst: true), false), string.Format(torch, ", activation='gelu', norm_first=True"), [x])
            .Add("encoder_masks", Graph(Make(), true), string.Format(torch, ""), [x, causal, kpm], [("y", "m(x, src_mask=mask, src_key_padding_mask=kpm)")])
            .Add("encoder_masks_pre_norm", Graph(Make("gelu", normFirst: true), true), string.Format(torch, ", activation='gelu', norm_first=True"), [x, causal, kpm],
                [("y", "m(x, src_mask=mask, src_key_padding_mask=kpm)")])
            .Add("encoder_seq_first", Graph(Make(batchFirst: false), false, batchFirst: false), "nn.TransformerEncoderLayer(16, 4, dim_feedforward=32)", [F("x", 201, l, n, d)])
            .Run();
    }

    [TestMethod]
    public void TransformerTrainingGraphAppliesDropout()
    {
        // With p = 0.5 in training the output differs from the inference output; with the same graph built for
        // inference it equals the p = 0 result (dropout off).
        long[] s = [2, 4, 8];
        var layer = new TransformerEncoderLayer(8, 2, dimFeedforward: 16, dropout: 0.5);
        var x = HostTensor.F32("x", LayersTesting.Randn(9, s), s);
        var infer = OrtRun.Run(LayersTesting.OneLayer(layer, s), x)["y"].Floats;
        var train = OrtRun.Run(LayersTesting.OneLayer(layer, s, training: true), x)["y"].Floats;
        Assert.IsTrue(Compare.MaxAbs(infer.Select(v => (double)v).ToArray(), train.Select(v => (double)v).ToArray()) > 1e-2, "training graph shows no dropout");
        var model = LayersTesting.OneLayer(layer, s, training: true);
        Assert.AreEqual(4, model.Graph.Nodes.Count(n => n.OpType == "Dropout"), "dropout on attention weights, after attention, inside and after the feed-forward");
    }

    [TestMethod]
    public void ModelOfConvBatchNormPoolAndDenseMatchesTorchSequential()
    {
        var model = new Sequential(new Conv2d(3, 6, 3, padding: 1), new BatchNorm2d(6), new ReLU(), new MaxPool2d(2), new Conv2d(6, 4, 3, stride: 2),
            new GELU(), new Flatten(), new Dropout(0.3), new Dense(10, inFeatures: 4 * 2 * 2), new LogSoftmax(1));
        var bn = (BatchNorm2d)model.Layers[1];
        bn.RunningMean.Data = LayersTesting.Randn(1, [6], 0.2f);
        bn.RunningVar.Data = LayersTesting.Randn(2, [6]).Select(v => 0.5f + Math.Abs(v)).ToArray();
        new TorchCheck()
            .Layer("small_cnn", model,
                "nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 4, 3, stride=2), nn.GELU(), nn.Flatten(), nn.Dropout(0.3), nn.Linear(16, 10), nn.LogSoftmax(1))",
                [3, 3, 10, 10])
            .Run();
    }
}
