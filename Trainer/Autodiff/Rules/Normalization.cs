using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>BatchNormalization (training and inference form), LayerNormalization, InstanceNormalization and Dropout.</summary>
internal static class Normalization
{
    // BatchNormalization is differentiated on the [N, C, L] view: statistics reduce over N and L, per-channel values
    // [C] broadcast as [C, 1].
    private static readonly long[] BatchAndPositions = [0, 2];
    private static Value PerChannel(Value v) => Op.Unsqueeze(v, 1);

    [Gradient("BatchNormalization")]
    static void BatchNormalization(GradScope g)
    {
        // Viewed as [N, C, L] (L = all spatial positions), so every rank, known or not, takes one path.
        Value x0 = g.Input(0), scale = g.Input(1);
        Value x = Op.Reshape(x0, 0, 0, -1), dy = Op.Reshape(g.Dy, 0, 0, -1);
        long[] axes = BatchAndPositions;
        Value Back(Value v) => g.ReshapeLike(v, x0);
        double eps = g.AttrFloat("epsilon", 1e-5f);
        bool training = g.Opset >= 14 ? g.AttrInt("training_mode", 0) != 0 : g.Node.Outputs.Count(o => o.Length > 0) > 1;

        if (!training && BatchStatistics.Of(g, x0) is { } stats)
        {
            // Inference form fed with x's own batch statistics (how OnnxKit's BatchNorm layers train): the whole
            // training-form gradient is given for x here, and none flows into the statistics' subgraph.
            TrainingGrad(g, x, dy, scale, Op.Reshape(stats.Centered, 0, 0, -1), stats.Variance, eps, Back);
            return;
        }
        if (!training)
        {
            // Inference form: an affine map per channel with the running statistics.
            Value mean = g.Input(3), variance = g.Input(4);
            var invStd = Op.Reciprocal(Op.Sqrt(variance + g.C(eps)));
            if (g.NeedsGrad(0)) g.InputGrad(0, Back(dy * PerChannel(scale * invStd)));
            var centered = x - PerChannel(mean);
            if (g.NeedsGrad(1)) g.InputGrad(1, Op.ReduceSum(dy * centered * PerChannel(invStd), axes, keepDims: false));
            if (g.NeedsGrad(2)) g.InputGrad(2, Op.ReduceSum(dy, axes, keepDims: false));
            if (g.NeedsGrad(3)) g.InputGrad(3, -(Op.ReduceSum(dy, axes, keepDims: false) * scale * invStd));
            if (g.NeedsGrad(4))
                g.InputGrad(4, Op.ReduceSum(dy * centered, axes, keepDims: false) * scale * invStd * invStd * invStd * g.C(-0.5));
            return;
        }

        // Training form: y = x̂·γ + β with x̂ = (x − μ)/σ over the batch and spatial axes (biased variance). With
        // M elements per channel, S₁ = Σ dy and S₂ = Σ dy·(x − μ):
        //   dβ = S₁,  dγ = S₂/σ,  dx = (γ/σ)·dy − (γ/σ)·S₁/M − (γ/σ³)·S₂/M·(x − μ),
        // i.e. dx = a·dy + b·(x − μ) + c with per-channel a, b, c: five full-size passes in all (x − μ, dy·(x − μ), the
        // affine map of x − μ, a·dy and the sum), where differentiating the decomposed form takes about twice as many.
        // With momentum 0 the node's "running" outputs are exactly the batch mean and variance, so they are read
        // instead of recomputed.
        bool statsOut = g.AttrFloat("momentum", 0.9f) == 0 && g.Node.Outputs.Count > 2 && g.Node.Outputs[1].Length > 0 && g.Node.Outputs[2].Length > 0;
        Value mu = statsOut ? g.Output(1) : Op.ReduceMean(x, axes, keepDims: false);
        var xc = x - PerChannel(mu);
        Value batchVariance = statsOut ? g.Output(2) : Op.ReduceMean(xc * xc, axes, keepDims: false);
        TrainingGrad(g, x, dy, scale, xc, batchVariance, eps, Back);
    }

    // The training-form gradient of y = γ·(x − μ)/σ + β on the [N, C, L] view, given x − μ and σ² of the batch.
    private static void TrainingGrad(GradScope g, Value x, Value dy, Value scale, Value xc, Value batchVariance, double eps, Func<Value, Value> back)
    {
        long[] axes = BatchAndPositions;
        var inv = Op.Reciprocal(Op.Sqrt(batchVariance + g.C(eps)));
        var s1 = Op.ReduceSum(dy, axes, keepDims: false);
        var s2 = Op.ReduceSum(dy * xc, axes, keepDims: false);
        if (g.NeedsGrad(1)) g.InputGrad(1, s2 * inv);
        if (g.NeedsGrad(2)) g.InputGrad(2, s1);
        if (g.NeedsGrad(0))
        {
            // Cast to the known gradient type rather than CastLike: ONNX Runtime's CUDA provider has no CastLike kernel.
            var m = Op.Div(g.AsGradType(Op.Size(x)), g.AsGradType(Op.Size(scale))); // elements per channel
            var a = scale * inv;
            var b = -(a * inv * inv * s2) / m;
            var c = -(a * s1) / m;
            // b·(x − μ) + c as an inference-form BatchNormalization (mean 0, variance 1, epsilon 0): one pass.
            var zeros = g.AsGradType(g.Graph.Node("ConstantOfShape", [Op.Shape(scale)])[0]);
            var ones = zeros + g.C(1);
            var affine = g.Graph.Node("BatchNormalization", [xc, b, c, zeros, ones], 1, [Attr.Float("epsilon", 0f)])[0];
            g.InputGrad(0, back(dy * PerChannel(a) + affine));
        }
    }

    // Uses the node's own Mean and InvStdDev outputs (added when absent):
    // dx = σ⁻¹ · (gy − mean(gy) − x̂·mean(gy·x̂)) over the normalised axes, gy = dy·γ.
    [Gradient("LayerNormalization")]
    static void LayerNormalization(GradScope g)
    {
        Value x = g.Input(0), scale = g.Input(1), dy = g.Dy;
        long axis = g.AttrInt("axis", -1);
        long[] axes = axis < 0
            ? Enumerable.Range((int)axis, (int)-axis).Select(a => (long)a).ToArray()
            : Enumerable.Range((int)axis, g.RankOf(x) - (int)axis).Select(a => (long)a).ToArray();
        var stash = (ElementType)g.AttrInt("stash_type", 1);
        Value Stat(int i) { var v = g.Output(i); return stash == g.ElementType ? v : Op.Cast(v, g.ElementType); }
        Value mean = Stat(1), inv = Stat(2);
        var xhat = (x - mean) * inv;
        if (g.NeedsGrad(1)) g.InputGrad(1, g.Unbroadcast(dy * xhat, scale));
        if (g.HasInput(2) && g.NeedsGrad(2)) g.InputGrad(2, g.Unbroadcast(dy, g.Input(2)));
        if (g.NeedsGrad(0))
        {
            var gy = dy * scale;
            g.InputGrad(0, inv * (gy - Op.ReduceMean(gy, axes, keepDims: true) - xhat * Op.ReduceMean(gy * xhat, axes, keepDims: true)));
        }
    }

    // Viewed as [N, C, L]: x̂ normalised over L; dx = γ/σ · (dy − mean_L(dy) − x̂·mean_L(dy·x̂)).
    [Gradient("InstanceNormalization")]
    static void InstanceNormalization(GradScope g)
    {
        Value x0 = g.Input(0), scale = g.Input(1);
        Value x = Op.Reshape(x0, 0, 0, -1), dy = Op.Reshape(g.Dy, 0, 0, -1);
        double eps = g.AttrFloat("epsilon", 1e-5f);
        var xc = x - Op.ReduceMean(x, [2], keepDims: true);
        var inv = Op.Reciprocal(Op.Sqrt(Op.ReduceMean(xc * xc, [2], keepDims: true) + g.C(eps)));
        var xhat = xc * inv;
        if (g.NeedsGrad(1)) g.InputGrad(1, Op.ReduceSum(dy * xhat, [0, 2], keepDims: false));
        if (g.NeedsGrad(2)) g.InputGrad(2, Op.ReduceSum(dy, [0, 2], keepDims: false));
        if (g.NeedsGrad(0))
        {
            var gy = dy * Op.Unsqueeze(scale, 1);
            var dx = inv * (gy - Op.ReduceMean(gy, [2], keepDims: true) - xhat * Op.ReduceMean(gy * xhat, [2], keepDims: true));
            g.InputGrad(0, g.ReshapeLike(dx, x0));
        }
    }

    // Training: dx = dy·mask/(1 − ratio), with the forward node's own mask. Inference: identity.
    [Gradient("Dropout")]
    static void Dropout(GradScope g)
    {
        // Before opset 12 exported Dropout nodes are inference-only (identity).
        bool training = g.Opset >= 12 && g.HasInput(2) && (g.ConstantInts(2) is not { } t || t[0] != 0);
        if (!training) { g.InputGrad(0, g.Dy); return; }
        double? ratio = !g.HasInput(1) ? 0.5 : g.Graph.ConstantValue(g.Node.Inputs[1]) is { } r ? TensorData.ToDoubleArray(r)[0] : null;
        Value scale = ratio is { } q ? g.C(q >= 1 ? 0 : 1 / (1 - q)) : Op.Reciprocal(g.C(1) - g.AsGradType(g.Input(1)));
        if (g.HasInput(2) && g.ConstantInts(2) is null)
        {
            // Training mode decided at run time: the mask is all true when it is off, and the scale must then be 1.
            scale = Op.Where(g.Input(2), scale, g.C(1));
        }
        // Cast + Mul rather than Where: ORT's Where with a broadcast scalar is about twice as slow (see Activations.Relu).
        g.InputGrad(0, g.Dy * (Op.Cast(g.Output(1), g.ElementType) * scale));
    }
}
