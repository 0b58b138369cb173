using Microsoft.ML.OnnxRuntime;
using OnnxKit.IR;

namespace OnnxKit.Training.Session.Lowering;

/// <summary>
/// What the loaded ONNX Runtime offers for blocked-layout (NCHWc) convolutions on this CPU. The block size is chosen
/// by ORT's math library from the CPU's vector width and is not exposed by its API, so it is measured: a four-channel
/// tensor reordered by <c>ReorderInput</c> comes back padded to one block.
/// </summary>
internal static class NchwcRuntime
{
    private static readonly Lazy<int> Probe = new(Measure);

    /// <summary>Channels per NCHWc block (8 with AVX2, 16 with AVX-512); 0 when the runtime has no NCHWc kernels.</summary>
    public static int BlockSize => Probe.Value;

    private static int Measure()
    {
        try
        {
            var g = new GraphBuilder("nchwc_probe");
            var x = g.Input("x", ElementType.Float32, 1, 4, 1, 1);
            var y = g.Node("ReorderInput", [x], domain: NchwcConvolutions.Domain, outputTypes: [new TensorType(ElementType.Float32, null)])[0];
            g.Output(y, "y");
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(g.Build().ToBytes(), options);
            using var input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4, 1, 1]);
            using var run = new RunOptions();
            using var outputs = session.Run(run, ["x"], [input], ["y"]);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            var data = outputs[0].GetTensorDataAsSpan<float>();
            // The block must hold the four channels in order, zero-padded; anything else is a layout this code does not know.
            int block = shape.Length == 4 && shape[0] == 1 && shape[2] == 1 && shape[3] == 1 ? (int)shape[1] : 0;
            if (block < 4 || (block & (block - 1)) != 0 || data.Length != block) return 0;
            for (int i = 0; i < block; i++) if (data[i] != (i < 4 ? i + 1 : 0)) return 0;
            return block;
        }
        catch (OnnxRuntimeException) { return 0; } // a runtime built without the contrib kernels
    }
}
