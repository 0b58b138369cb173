using OnnxKit.IR;

namespace OnnxKit.Tests.Inference;

/// <summary>Small models with known weights, built with the Builder, for Predictor/repository/server tests.</summary>
internal static class TestModels
{
    // y = x · Wᵀ + b with W = [[1, 2, 3], [-1, 0, 1]], b = [0.5, -0.5]
    public static readonly float[] W = [1, 2, 3, -1, 0, 1];
    public static readonly float[] B = [0.5f, -0.5f];

    /// <summary>The expected Gemm output for rows of 3 (hand arithmetic written out, scaled by <paramref name="scale"/>).</summary>
    public static float[] Expected(float[] x, float scale = 1)
    {
        int rows = x.Length / 3;
        var y = new float[rows * 2];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < 2; o++)
                y[r * 2 + o] = scale * (x[r * 3] * W[o * 3] + x[r * 3 + 1] * W[o * 3 + 1] + x[r * 3 + 2] * W[o * 3 + 2] + B[o]);
        return y;
    }

    /// <summary>Gemm model x[batch,3] → y[batch,2], optionally scaled (to tell versions apart) and with labels metadata.</summary>
    public static byte[] Gemm(float scale = 1, string[]? labels = null, string? normalization = null)
    {
        var g = new GraphBuilder("gemm");
        var x = g.Input("x", ElementType.Float32, "batch", 3);
        var w = g.Initializer(TensorData.FromFloats("W", W.Select(v => v * scale).ToArray(), 2, 3));
        var b = g.Initializer(TensorData.FromFloats("b", B.Select(v => v * scale).ToArray(), 2));
        g.Output(Op.Gemm(x, w, b, transB: true), "y");
        var m = g.Build();
        m.ProducerName = "onnxkit-tests";
        m.ProducerVersion = "1.2.3";
        if (labels is not null) m.Metadata["labels"] = System.Text.Json.JsonSerializer.Serialize(labels);
        if (normalization is not null) m.Metadata["normalization"] = normalization;
        return m.ToBytes();
    }

    /// <summary>Inputs a:int64[batch,2], flag:bool[batch,2], d:float64[batch,2], k:int32[batch];
    /// outputs twice_a = a + a, sel = where(flag, double(a), d), twice_k = k + k.</summary>
    public static byte[] Mixed()
    {
        var g = new GraphBuilder("mixed");
        var a = g.Input("a", ElementType.Int64, "batch", 2);
        var flag = g.Input("flag", ElementType.Bool, "batch", 2);
        var d = g.Input("d", ElementType.Float64, "batch", 2);
        var k = g.Input("k", ElementType.Int32, "batch");
        g.Output(a + a, "twice_a");
        g.Output(Op.Where(flag, Op.Cast(a, ElementType.Float64), d), "sel");
        g.Output(k + k, "twice_k");
        return g.Build().ToBytes();
    }

    /// <summary>x: float32 [2, 3] (fixed) → relu.</summary>
    public static byte[] Fixed()
    {
        var g = new GraphBuilder("fixed");
        g.Output(Op.Relu(g.Input("x", ElementType.Float32, 2, 3)), "y");
        return g.Build().ToBytes();
    }

    /// <summary>x: float32 [n] and y: float32 [n] (same symbol) → x + y.</summary>
    public static byte[] SharedSymbol()
    {
        var g = new GraphBuilder("shared");
        var x = g.Input("x", ElementType.Float32, "n");
        var y = g.Input("y", ElementType.Float32, "n");
        g.Output(x + y, "z");
        return g.Build().ToBytes();
    }

    /// <summary>Bytes that are not a model.</summary>
    public static byte[] Corrupt => "this is not an ONNX model\n"u8.ToArray();
}
