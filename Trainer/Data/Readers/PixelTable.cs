namespace OnnxKit.Training.Data;

/// <summary>
/// Byte → float lookup for 8-bit pixels: b / 255 when scaling (divided, not multiplied by 1/255, so that e.g.
/// 51 becomes exactly 0.2f as in NumPy's <c>x / 255</c>), else b itself.
/// </summary>
internal static class PixelTable
{
    private static readonly float[] Scaled = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();
    private static readonly float[] Raw = Enumerable.Range(0, 256).Select(b => (float)b).ToArray();

    public static float[] For(bool scale) => scale ? Scaled : Raw;
}
