using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff.Rules;

/// <summary>BatchNormalization (training and inference form) and LayerNormalization.</summary>
internal static class Normalization
{
    [Gradient("BatchNormalization")]
    static void BatchNormalization(GradScope g)
    {
        // Viewed as [N, C, L] (L = all spatial positions), so every rank, known or not, takes one path.
        Value x0 = g.Input(0), scale = g.Input(1);
        Value x = Op.Reshape(x0, 0, 0, -1), dy = Op.Reshape(g.Dy, 0, 0, -1);
        long[] axes = [0, 2];
        static Value PerChannel(Value v) => Op.Unsqueeze(v, 1); // [C] → [C, 1]
        Value Back(Value v) => g.ReshapeLike(v, x0);
        double eps = g.AttrFloat("epsilon", 1e-5f);
        bool training = g.Opset >= 14 ? g.AttrInt("training_mode", 0) != 0 : g.Node.Outputs.Count(o => o.Length > 0) > 1;

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

        // Training form: y = x̂·γ + β with x̂ normalised by the batch statistics (biased variance), so
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)) over the batch and spatial axes.
        var mu = Op.ReduceMean(x, axes, keepDims: true);
        var xc = x - mu;
        var inv = Op.Reciprocal(Op.Sqrt(Op.ReduceMean(xc * xc, axes, keepDims: true) + g.C(eps)));
        var xhat = xc * inv;
        if (g.NeedsGrad(1)) g.InputGrad(1, Op.ReduceSum(dy * xhat, axes, keepDims: false));
        if (g.NeedsGrad(2)) g.InputGrad(2, Op.ReduceSum(dy, axes, keepDims: false));
        if (g.NeedsGrad(0))
        {
            var gy = dy * PerChannel(scale);
            var dx = inv * (gy - Op.ReduceMean(gy, axes, keepDims: true) - xhat * Op.ReduceMean(gy * xhat, axes, keepDims: true));
            g.InputGrad(0, Back(dx));
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
}

/// <summary>InstanceNormalization: batch-norm statistics per sample and channel.</summary>
internal static class InstanceNormalizationRule
{
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
}
