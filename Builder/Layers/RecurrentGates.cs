namespace OnnxKit;

/// <summary>
/// The gate blocks of PyTorch's and ONNX's recurrent weights: PyTorch stacks LSTM i, f, g, o and GRU r, z, n; ONNX's
/// nodes take LSTM i, o, f, c and GRU z, r, h. Weights cross between the two here (layers, import, safetensors).
/// </summary>
internal static class RecurrentGates
{
    /// <summary>ONNX's gate order as indices into PyTorch's gate blocks, for an <c>RNN</c>, <c>GRU</c> or <c>LSTM</c> node.</summary>
    public static int[] OnnxOrder(string opType) => opType switch
    {
        "RNN" => [0],
        "GRU" => [1, 0, 2],      // PyTorch r, z, n → ONNX z, r, h
        "LSTM" => [0, 3, 1, 2],  // PyTorch i, f, g, o → ONNX i, o, f, c
        _ => throw new ArgumentException($"'{opType}' is not a recurrent operator (RNN, GRU, LSTM)", nameof(opType)),
    };

    /// <summary>PyTorch's gate blocks of <paramref name="v"/> (along axis 0) in ONNX's order, as graph nodes.</summary>
    public static Value ToOnnx(Value v, int[] order)
    {
        if (IsIdentity(order)) return v;
        var blocks = Op.SplitEqual(v, 0, order.Length);
        return Op.Concat(0, [.. order.Select(k => blocks[k])]);
    }

    /// <summary>ONNX-ordered gate blocks (rows of <paramref name="onnx"/>, split in <c>order.Length</c> equal blocks) in PyTorch's order.</summary>
    public static float[] ToPyTorch(ReadOnlySpan<float> onnx, int[] order)
    {
        var result = new float[onnx.Length];
        int block = onnx.Length / order.Length;
        for (int j = 0; j < order.Length; j++) onnx.Slice(j * block, block).CopyTo(result.AsSpan(order[j] * block, block));
        return result;
    }

    private static bool IsIdentity(int[] order) => order.Select((k, i) => k == i).All(b => b);
}
