using OnnxKit.IR;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>Nearest or linear resizing by <paramref name="scales"/> per axis.</summary>
    public static Value Resize(Value x, float[] scales, string mode = "nearest")
    {
        var g = B(x);
        return g.Node1("Resize", [x, null, g.Constant(TensorData.FromFloats("", scales, scales.Length))], Attr.String("mode", mode));
    }
    /// <summary>Rearranges blocks of depth into space (pixel shuffle).</summary>
    public static Value DepthToSpace(Value x, long blockSize) => B(x).Node1("DepthToSpace", [x], Attr.Int("blocksize", blockSize));
}
