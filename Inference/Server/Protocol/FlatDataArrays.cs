using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>
/// The fast path of JSON infer requests. Nearly all of a request's bytes are its inputs' <c>data</c> arrays, and
/// building a <see cref="JsonDocument"/> over them costs more than running a small model (a 784-pixel image took
/// ≈ 60 µs). So <see cref="Extract"/> walks the request once with a <see cref="Utf8JsonReader"/>, and where an
/// input's <c>data</c> is a flat array without strings or nested arrays, takes its bytes aside and leaves it empty
/// in a copy of the request; the small remaining envelope goes through the ordinary <see cref="JsonDocument"/> path,
/// and <see cref="Fill"/> parses each flat array straight into the tensor's element type.
/// </summary>
internal static class FlatDataArrays
{
    /// <summary>A request with its flat data arrays taken out: the envelope (owns a pooled buffer) and the arrays by input position.</summary>
    public sealed class Extracted : IDisposable
    {
        private byte[]? _buffer;
        internal Extracted(byte[] buffer, int length, Dictionary<int, ReadOnlyMemory<byte>> arrays) { _buffer = buffer; Envelope = buffer.AsMemory(0, length); Arrays = arrays; }
        /// <summary>The request with each taken array emptied (<c>[]</c>): a few hundred bytes however large the tensors.</summary>
        public ReadOnlyMemory<byte> Envelope { get; }
        /// <summary>The raw bytes of each taken array, <c>[</c> to <c>]</c>, by the input's position in <c>inputs</c>.</summary>
        public Dictionary<int, ReadOnlyMemory<byte>> Arrays { get; }
        public void Dispose() { if (_buffer is { } b) { _buffer = null; ArrayPool<byte>.Shared.Return(b); } }
    }

    /// <summary>Takes out the flat <c>data</c> arrays of <c>inputs[k]</c>; a malformed envelope throws <see cref="JsonException"/>.</summary>
    /// <remarks>
    /// The reader never walks a taken array: at its <c>[</c> the reader is restarted from its own state at the closing
    /// <c>]</c>, so it sees <c>[]</c> — and so does the envelope, which is copied around the arrays. Scanning the
    /// kilobytes of an image twice as JSON whitespace cost more than parsing its numbers. Byte positions in a
    /// <see cref="JsonException"/> after a taken array would be short by the array's length, so on a malformed
    /// request the caller re-reads the original bytes for the exact message (see <see cref="InferRequest"/>).
    /// </remarks>
    public static Extracted Extract(ReadOnlyMemory<byte> json)
    {
        var source = json.Span;
        var envelope = ArrayPool<byte>.Shared.Rent(Math.Max(1, json.Length));
        int envelopeLength = 0, copied = 0, segment = 0; // copied: source bytes handled so far; segment: where the reader's span starts
        var arrays = new Dictionary<int, ReadOnlyMemory<byte>>();
        try
        {
            var reader = new Utf8JsonReader(source, new JsonReaderOptions { MaxDepth = 64 });
            bool inInputs = false, dataNext = false;
            int input = -1;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                        inInputs = reader.ValueTextEquals("inputs"u8);
                        break;
                    case JsonTokenType.StartObject when inInputs && reader.CurrentDepth == 2:
                        input++;
                        break;
                    case JsonTokenType.EndArray when reader.CurrentDepth == 1:
                        inInputs = false;
                        break;
                    case JsonTokenType.PropertyName when inInputs && reader.CurrentDepth == 3:
                        dataNext = reader.ValueTextEquals("data"u8);
                        break;
                    case JsonTokenType.StartArray when dataNext && reader.CurrentDepth == 3:
                        dataNext = false;
                        int start = segment + (int)reader.TokenStartIndex;
                        int stop = source[(start + 1)..].IndexOfAny("[]\""u8);
                        // Only flat arrays of literals: nested arrays and strings ("NaN") keep the general path.
                        if (stop >= 0 && source[start + 1 + stop] == (byte)']' && !arrays.ContainsKey(input))
                        {
                            arrays[input] = json.Slice(start, stop + 2);
                            source[copied..(start + 1)].CopyTo(envelope.AsSpan(envelopeLength));
                            envelopeLength += start + 1 - copied;
                            copied = segment = start + 1 + stop;
                            reader = new Utf8JsonReader(source[segment..], isFinalBlock: true, reader.CurrentState);
                        }
                        break;
                    default:
                        if (reader.TokenType != JsonTokenType.PropertyName) dataNext = false;
                        break;
                }
            }
            source[copied..].CopyTo(envelope.AsSpan(envelopeLength));
            return new Extracted(envelope, envelopeLength + source.Length - copied, arrays);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(envelope);
            throw;
        }
    }

    /// <summary>Number of elements of a flat array (<c>[ a, b, … ]</c>): its commas plus one, or zero when empty.</summary>
    public static long Count(ReadOnlySpan<byte> array)
    {
        var inner = array[1..^1];
        return inner.IndexOfAnyExcept(" \t\r\n"u8) < 0 ? 0 : inner.Count((byte)',') + 1;
    }

    /// <summary>
    /// Parses a flat array into <paramref name="data"/> (already sized to <see cref="Count"/>), converting as the
    /// general path does: floats as float32 or float64, integers range-checked, booleans from true/false or 0/1.
    /// Anything else is a <see cref="ProtocolException"/> naming the input and the element.
    /// </summary>
    public static void Fill(ReadOnlySpan<byte> array, Array data, TensorElementType type, string name)
    {
        if (data is float[] floats) { FillFloats(array, floats, name); return; }
        int pos = 1, end = array.Length - 1;
        for (int i = 0; i < data.Length; i++)
        {
            pos = SkipWhitespace(array, pos, end);
            var token = array[pos..end];
            int used = 0;
            bool ok = data switch
            {
                double[] d => Number(token) && Utf8Parser.TryParse(token, out d[i], out used) && Ended(token, used),
                bool[] b => Bool(token, out b[i], out used),
                _ => Number(token) && Utf8Parser.TryParse(token, out long x, out used) && Ended(token, used) && StoreInteger(data, i, x, name, type),
            };
            if (!ok) throw Bad(name, i, token, data is double[] ? "a number" : data is bool[] ? "true or false" : "an integer");
            pos = Separator(array, pos + used, end, i, data.Length, name);
        }
    }

    // The common case (float32 images, audio, features) in its own loop: no per-element type dispatch.
    private static void FillFloats(ReadOnlySpan<byte> array, float[] data, string name)
    {
        int pos = 1, end = array.Length - 1;
        for (int i = 0; i < data.Length; i++)
        {
            pos = SkipWhitespace(array, pos, end);
            var token = array[pos..end];
            if (!Number(token) || !(ShortDecimal(token, out data[i], out int used) || Utf8Parser.TryParse(token, out data[i], out used))
                || !Ended(token, used))
                throw Bad(name, i, token, "a number");
            pos = Separator(array, pos + used, end, i, data.Length, name);
        }
    }

    // After element i: the ',' before the next element (returns the position after it), or only whitespace up to the
    // closing ']' after the last one.
    private static int Separator(ReadOnlySpan<byte> array, int pos, int end, int i, int count, string name)
    {
        pos = SkipWhitespace(array, pos, end);
        if (i == count - 1)
        {
            if (pos != end) throw new ProtocolException(400, $"malformed JSON in input '{name}': unexpected text after element {i}");
            return pos;
        }
        if (pos >= end || array[pos] != (byte)',') throw new ProtocolException(400, $"malformed JSON in input '{name}': expected ',' after element {i}");
        return pos + 1;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static readonly double[] PowersOfTen =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>
    /// A fast path for float32 that gives the same float as Utf8Parser: a plain decimal (no exponent) with at most 15
    /// significant digits and at most 22 fraction digits is m / 10^k with m &lt; 2^53 and 10^k exact in double, so one
    /// IEEE division gives the correctly rounded double x (Clinger). Rounding x to float then gives the correctly
    /// rounded float of the decimal, because every midpoint between two floats is itself a double: the decimal and x
    /// lie on the same side of each midpoint, unless x is exactly one — then this returns false and the general
    /// parser decides. Shortest round-trip strings of floats (≤ 9 digits, e.g. the pixel 0.78431374) and integers up to
    /// 15 digits take this path; anything else returns false.
    /// </summary>
    internal static bool ShortDecimal(ReadOnlySpan<byte> s, out float value, out int used)
    {
        value = 0; used = 0;
        int i = 0, significant = 0, fraction = 0;
        bool negative = i < s.Length && s[i] == (byte)'-';
        if (negative) i++;
        int integerStart = i;
        ulong m = 0;
        for (; i < s.Length && (uint)(s[i] - '0') <= 9; i++)
        {
            if (m == 0 && s[i] == (byte)'0') continue;
            m = m * 10 + (uint)(s[i] - '0');
            if (++significant > 15) return false;
        }
        int integerDigits = i - integerStart;
        if (integerDigits == 0 || (integerDigits > 1 && s[integerStart] == (byte)'0')) return false; // not JSON: "", "01"
        if (i < s.Length && s[i] == (byte)'.')
        {
            i++;
            int fractionStart = i;
            for (; i < s.Length && (uint)(s[i] - '0') <= 9; i++)
            {
                if (++fraction > 22) return false;
                if (m == 0 && s[i] == (byte)'0') continue;
                m = m * 10 + (uint)(s[i] - '0');
                if (++significant > 15) return false;
            }
            if (i == fractionStart) return false;
        }
        if (i < s.Length && (s[i] | 0x20) == (byte)'e') return false;
        double x = fraction == 0 ? m : m / PowersOfTen[fraction]; // in [1e-22, 1e15): a normal float's range, no overflow
        // A float midpoint has 25 significant bits: the low 29 of the double's 52 stored bits are exactly 1 followed by zeros.
        if ((BitConverter.DoubleToUInt64Bits(x) & 0x1FFF_FFFF) == 0x1000_0000) return false;
        float magnitude = (float)x;
        value = negative ? -magnitude : magnitude;
        used = i;
        return true;
    }

    // JSON numbers start with '-' or a digit (no '+', '.', "Infinity"); Utf8Parser alone is more lenient.
    private static bool Number(ReadOnlySpan<byte> t) => t.Length > 0 && (t[0] == (byte)'-' || (uint)(t[0] - '0') <= 9);

    // A number must end at a separator: "1x" or "1.5" read as an integer is not a number of the expected kind.
    private static bool Ended(ReadOnlySpan<byte> t, int used) => used == t.Length || t[used] == (byte)',' || IsWhitespace(t[used]);

    private static bool Bool(ReadOnlySpan<byte> t, out bool value, out int used)
    {
        (value, used) = t.StartsWith("true"u8) ? (true, 4) : t.StartsWith("false"u8) ? (false, 5)
            : t.StartsWith("1"u8) ? (true, 1) : t.StartsWith("0"u8) ? (false, 1) : (false, 0);
        return used > 0 && Ended(t, used);
    }

    /// <summary>Stores an integer element range-checked for the array's type (a 400 naming the element when it does not fit).</summary>
    internal static bool StoreInteger(Array data, int i, long x, string name, TensorElementType type)
    {
        try
        {
            switch (data)
            {
                case long[] a: a[i] = x; break;
                case int[] a: a[i] = checked((int)x); break;
                case short[] a: a[i] = checked((short)x); break;
                case sbyte[] a: a[i] = checked((sbyte)x); break;
                case byte[] a: a[i] = checked((byte)x); break;
                case ushort[] a: a[i] = checked((ushort)x); break;
                case uint[] a: a[i] = checked((uint)x); break;
                case ulong[] a: a[i] = checked((ulong)x); break;
                default: return false;
            }
            return true;
        }
        catch (OverflowException) { throw new ProtocolException(400, $"input '{name}': element {i} = {x} is out of range for {ElementTypes.ProtocolName(type)}"); }
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> s, int pos, int end)
    {
        while (pos < end && IsWhitespace(s[pos])) pos++;
        return pos;
    }

    private static ProtocolException Bad(string name, int i, ReadOnlySpan<byte> token, string expected)
    {
        int n = token.IndexOfAny(",]"u8);
        string text = Encoding.UTF8.GetString(n < 0 ? token : token[..n]).Trim();
        if (text.Length > 40) text = text[..40] + "…";
        return new ProtocolException(400, $"input '{name}': element {i} is {(text.Length == 0 ? "missing" : text)}, expected {expected}");
    }
}
