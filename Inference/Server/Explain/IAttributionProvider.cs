namespace OnnxKit.Server;

/// <summary>
/// Computes attributions for <c>POST /v2/models/{name}/explain</c>.
/// </summary>
/// <remarks>
/// The server receives this from its composition root instead of generating gradient graphs itself: gradient graphs
/// come from the Trainer's autodiff, and <c>OnnxKit.Inference</c>/<c>OnnxKit.Server</c> depend on no other component,
/// so that a serving deployment carries only ONNX Runtime. <c>onnxkit serve</c> passes an implementation over
/// <c>OnnxKit.Explain.Explainer</c>; a server started without one (the server-only image) answers the endpoint with
/// 404 and says so. The alternative, serving explain graphs generated ahead of time next to each model, would need one
/// file per model, method and layer and go stale when a model version is replaced; generating them on first use from
/// the model file being served has neither problem.
/// </remarks>
public interface IAttributionProvider
{
    /// <summary>
    /// Attributions for every sample of <paramref name="batch"/> (row-major, <paramref name="shape"/> with the batch
    /// axis first) fed to input <paramref name="inputName"/> of the model file at <paramref name="modelPath"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter or the input does not fit the model (answered with 400).</exception>
    ExplainResult Explain(string modelPath, string inputName, float[] batch, long[] shape, ExplainParameters parameters);
}

/// <summary>The request's <c>parameters</c>: method (default <c>integrated-gradients</c>), target (default the predicted class), steps, baseline, and the integration rule.</summary>
public sealed record ExplainParameters(string Method, int? Target, int? Steps, string? Baseline, string? Rule = null);

/// <summary>Attributions of shape <paramref name="Shape"/> (the input's) and the explained output index per sample.</summary>
public sealed record ExplainResult(float[] Attributions, long[] Shape, int[] Targets);
