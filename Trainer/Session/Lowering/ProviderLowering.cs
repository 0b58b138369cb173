using OnnxKit.IR;

namespace OnnxKit.Training.Session.Lowering;

/// <summary>
/// The per-provider rewrites of the graphs a <see cref="TrainingSession"/> hands to ONNX Runtime: on the CPU the
/// blocked-layout convolutions (CPU-only kernels, never on CUDA); on CUDA the formulations that keep every node on
/// a CUDA kernel. Saved artifacts are never touched.
/// </summary>
internal static class ProviderLowering
{
    /// <summary>The train-step and eval graphs as this session's provider should run them.</summary>
    public static (byte[] TrainStep, byte[] Eval) Apply(byte[] trainStep, byte[] eval, TrainingSessionOptions options)
    {
        if (options.OnCpu)
        {
            if (!options.BlockedConvolutions || NchwcRuntime.BlockSize <= 0) return (trainStep, eval);
            return (NchwcConvolutions.TryApply(trainStep, NchwcRuntime.BlockSize), NchwcConvolutions.TryApply(eval, NchwcRuntime.BlockSize));
        }
        return (ForCuda(trainStep), ForCuda(eval));
    }

    private static byte[] ForCuda(byte[] model)
    {
        var m = OnnxModel.FromBytes(model);
        return CudaSoftmaxCrossEntropy.Apply(m) > 0 ? m.ToBytes() : model;
    }
}
