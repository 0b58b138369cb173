using System.Numerics;

namespace OnnxKit.Training.Data;

/// <summary>
/// Converts 8-bit pixels to floats: b / 255 when scaling (divided, not multiplied by 1/255, so that e.g. 51
/// becomes exactly 0.2f as NumPy's <c>x / 255</c> gives), else b itself. Vectorised: a Fashion-MNIST training
/// set is 47 million pixels.
/// </summary>
internal static class PixelTable
{
    public static void Convert(ReadOnlySpan<byte> source, Span<float> destination, bool scale)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        var divisor = new Vector<float>(scale ? 255f : 1f);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int step = Vector<byte>.Count, quarter = Vector<float>.Count;
            for (; i <= source.Length - step; i += step)
            {
                Vector.Widen(new Vector<byte>(source[i..]), out Vector<ushort> lo, out Vector<ushort> hi);
                Vector.Widen(lo, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(hi, out Vector<uint> c, out Vector<uint> d);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(a)) / divisor).CopyTo(destination[i..]);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(b)) / divisor).CopyTo(destination[(i + quarter)..]);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(c)) / divisor).CopyTo(destination[(i + 2 * quarter)..]);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(d)) / divisor).CopyTo(destination[(i + 3 * quarter)..]);
            }
        }
        float div = scale ? 255f : 1f;
        for (; i < source.Length; i++) destination[i] = source[i] / div;
    }
}
