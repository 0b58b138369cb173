namespace OnnxKit.Inference;

/// <summary>
/// A model file that cannot be served: not ONNX, refused by ONNX Runtime, or failing its warm-up run. The message
/// names the model and what ONNX Runtime (or the metadata check) reported; ONNX Runtime's own exception, where there
/// is one, is the inner exception. It is the one exception type a load failure of a model file surfaces as, so
/// callers need not know ONNX Runtime's types.
/// </summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message, Exception? inner = null) : base(message, inner) { }
}
