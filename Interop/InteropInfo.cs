namespace OnnxKit.Interop;

/// <summary>
/// OnnxKit.Interop: import of PyTorch/TensorFlow exports, inspection, transfer-learning surgery,
/// weight exchange with PyTorch and TensorFlow.js, and ML.NET integration.
/// </summary>
public static class InteropInfo
{
    /// <summary>The canonical ONNX opset imported models are normalised to before training.</summary>
    public const int CanonicalOpset = 17;
}
